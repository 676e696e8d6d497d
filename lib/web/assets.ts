import { createHash } from "node:crypto";
import { listFiles } from "./route_paths.ts";

/** One file the server hands out from memory. */
export interface AssetFile {
  body: Uint8Array;
  contentType: string;
  etag: string;
}

/** Built island bundles and static files, addressed by content hash. */
export interface Assets {
  /** Hash of every bundle: part of their URLs, so a new build never meets a stale cache. */
  buildId: string;
  /** URL of the hydration entry. */
  bootUrl: string;
  /** URL of an island's bundle by island name. */
  islandUrl(name: string): string;
  /** Bundles by URL path. */
  js: Map<string, AssetFile>;
  /** Static files by URL path ("/styles.css"). */
  statics: Map<string, AssetFile & { hash: string }>;
  /** A static file's URL with its content hash, for long-lived caching. */
  asset(path: string): string;
}

const TYPES: Record<string, string> = {
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  txt: "text/plain; charset=utf-8",
  json: "application/json",
  webmanifest: "application/manifest+json",
  woff2: "font/woff2",
};

function contentType(path: string): string {
  return TYPES[path.split(".").pop() ?? ""] ?? "application/octet-stream";
}

function digest(data: Uint8Array, length = 16): string {
  return createHash("sha256").update(data).digest("hex").slice(0, length);
}

/** The deepest folder that contains every path. */
function commonDir(paths: string[]): string {
  const split = paths.map((p) => p.split("/").slice(0, -1));
  const first = split[0];
  let n = first.length;
  for (const parts of split) {
    let i = 0;
    while (i < n && parts[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n).join("/");
}

/** Island names: file names under islands/ without extension (PascalCase by convention). */
export async function listIslands(islandsDir: string): Promise<Map<string, string>> {
  const islands = new Map<string, string>();
  for (const rel of await listFiles(islandsDir)) {
    if (!/\.(tsx|jsx|ts|js)$/.test(rel) || /_test\./.test(rel) || rel.includes("/")) continue;
    islands.set(rel.replace(/\.(tsx|jsx|ts|js)$/, ""), `${islandsDir}/${rel}`);
  }
  return islands;
}

/**
 * Bundle the hydration entry and every island for the browser with code splitting, in memory,
 * and load static/ into memory with content hashes.
 */
export async function buildAssets(
  options: { islandsDir: string; staticDir: string; bootEntry: string },
): Promise<Assets> {
  const islands = await listIslands(options.islandsDir);
  const outDir = "/lattice-build";
  const result = await Deno.bundle({
    entrypoints: [options.bootEntry, ...islands.values()],
    outputDir: outDir,
    platform: "browser",
    format: "esm",
    codeSplitting: true,
    minify: true,
    write: false,
  });
  if (!result.success || !result.outputFiles) {
    const messages = result.errors.map((e) => e.text).join("; ");
    throw new Error(`Bundling islands failed: ${messages}`);
  }
  const files = result.outputFiles
    .filter((f) => f.path.endsWith(".js"))
    .map((f) => ({ name: f.path.slice(outDir.length + 1), body: f.contents ?? new Uint8Array() }));
  const buildId = digest(
    new TextEncoder().encode(files.map((f) => f.name + ":" + digest(f.body)).sort().join("\n")),
    12,
  );
  const base = `/_lattice/js/${buildId}`;
  const js = new Map<string, AssetFile>();
  for (const f of files) {
    js.set(`${base}/${f.name}`, {
      body: f.body,
      contentType: TYPES.js,
      etag: `"${digest(f.body)}"`,
    });
  }
  // esbuild lays entry outputs out relative to the entries' common folder.
  const entries = [options.bootEntry, ...islands.values()];
  const common = commonDir(entries);
  const outputOf = (entry: string) => {
    const url = `${base}/${entry.slice(common.length + 1).replace(/\.(tsx|jsx|ts|js)$/, ".js")}`;
    if (!js.has(url)) {
      throw new Error(`Bundling produced no output for ${entry} (looked for ${url})`);
    }
    return url;
  };
  const bootUrl = outputOf(options.bootEntry);
  const islandUrls = new Map([...islands].map(([name, path]) => [name, outputOf(path)]));

  const statics = new Map<string, AssetFile & { hash: string }>();
  for (const rel of await listFiles(options.staticDir)) {
    const body = await Deno.readFile(`${options.staticDir}/${rel}`);
    const hash = digest(body, 12);
    statics.set(`/${rel}`, { body, contentType: contentType(rel), etag: `"${hash}"`, hash });
  }
  return {
    buildId,
    bootUrl,
    islandUrl: (name) => islandUrls.get(name) ?? "",
    js,
    statics,
    asset(path) {
      const file = statics.get(path);
      return file ? `${path}?v=${file.hash}` : path;
    },
  };
}
