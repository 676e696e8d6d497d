import type { PageHandlers } from "@/lib/web/define.ts";
import { agentBundle } from "@/lib/agents/agent_bundle.ts";

// The agent as one file for `deno run <url>` (the join page's command); public, it holds no
// secrets. Revalidated on every run, so machines pick up a new server's agent.
export const handler: PageHandlers = {
  async GET(c) {
    const body = await agentBundle();
    return c.body(body as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": "text/javascript; charset=utf-8",
      "Cache-Control": "no-cache",
    });
  },
};
