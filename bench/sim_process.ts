// The agent simulation in a process of its own: relays JSON lines on stdin to a
// bench/agents_sim_worker.ts Worker and its answers back as JSON lines on stdout. Used by
// bench/agents_load.ts --processes, so that each load process needs fewer open files.
const worker = new Worker(new URL("./agents_sim_worker.ts", import.meta.url), { type: "module" });
const out = Deno.stdout.writable.getWriter();
const encoder = new TextEncoder();
let writing = Promise.resolve();
worker.onmessage = (e) => {
  const line = encoder.encode(JSON.stringify(e.data) + "\n");
  writing = writing.then(() => out.write(line));
};
let buffered = "";
for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  buffered += chunk;
  let newline: number;
  while ((newline = buffered.indexOf("\n")) >= 0) {
    worker.postMessage(JSON.parse(buffered.slice(0, newline)));
    buffered = buffered.slice(newline + 1);
  }
}
worker.terminate();
