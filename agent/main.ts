/**
 * lattice-agent: the node agent's entry point (`deno task agent …`, `deno compile`, or the
 * single-file bundle).
 */
import { main } from "./cli.ts";

if (import.meta.main) {
  const code = await main(Deno.args, {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    confirm: (question) => Promise.resolve(confirm(question)),
    env: Deno.env.toObject(),
  });
  Deno.exit(code);
}
