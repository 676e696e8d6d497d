// What opening PGlite costs on a later start: the first open in a fresh process (as at
// start-up), a second open in the same process, compiling its WebAssembly, and an open with
// a precompiled module. Not part of `deno task bench`.
//
//   deno run -A bench/experiments/pglite_open.ts <existing LATTICE_DATA_DIR>
import { PGlite, type PGliteOptions } from "@electric-sql/pglite";

const dataDir = Deno.args[0];
if (!dataDir) throw new Error("usage: pglite_open.ts <existing data dir>");
const ms = (since: number) => `${(performance.now() - since).toFixed(0)} ms`;

let t0 = performance.now();
const first = new PGlite(`${dataDir}/pg`);
await first.waitReady;
console.log(`first open in this process (as at start-up): ${ms(t0)}`);
await first.close();

t0 = performance.now();
const second = new PGlite(`${dataDir}/pg`);
await second.waitReady;
console.log(`second open in the same process: ${ms(t0)}`);
await second.close();

const wasmUrl = new URL(
  import.meta.resolve("@electric-sql/pglite").replace(/[^/]+$/, "pglite.wasm"),
);
t0 = performance.now();
const bytes = await Deno.readFile(wasmUrl);
const wasmModule = await WebAssembly.compile(bytes);
console.log(
  `read + WebAssembly.compile pglite.wasm (${(bytes.byteLength / 1e6).toFixed(1)} MB): ${ms(t0)}`,
);

t0 = performance.now();
const pre = new PGlite(`${dataDir}/pg`, { wasmModule } as PGliteOptions);
await pre.waitReady;
console.log(`open with that precompiled module: ${ms(t0)}`);
await pre.close();
