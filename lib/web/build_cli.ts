// `deno task build`: bundle the islands as `deno task start` does, write them to _build/ and
// print their sizes. The server bundles in memory at start-up; this shows what browsers get.
import { APP_DIRS } from "../server.ts";
import { buildAssets } from "./assets.ts";

const out = new URL("../../_build/", import.meta.url).pathname;
const t0 = performance.now();
const assets = await buildAssets(APP_DIRS);
await Deno.remove(out, { recursive: true }).catch(() => {});
let total = 0;
for (const [url, file] of assets.js) {
  const path = out + url.replace(/^\/_lattice\//, "");
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeFile(path, file.body);
  total += file.body.byteLength;
  console.log(`${(file.body.byteLength / 1024).toFixed(1).padStart(7)} KiB  ${url}`);
}
console.log(
  `build ${assets.buildId}: ${assets.js.size} files, ${(total / 1024).toFixed(1)} KiB, ` +
    `${Math.round(performance.now() - t0)} ms → ${out}`,
);
