import { page, type PageHandlers, type PageProps } from "@/lib/web/define.ts";
import { ForbiddenError } from "@/lib/errors.ts";
import { nodeService, poolService } from "@/lib/nodes/service.ts";
import { joinTokenDto } from "@/lib/api/schemas.ts";
import { type JoinCommands, joinCommands } from "@/lib/agents/agent_bundle.ts";
import JoinTokens from "@/islands/JoinTokens.tsx";
import AddThisMachine from "@/islands/AddThisMachine.tsx";
import type { LocalAgentStatus } from "@/lib/api/local_agent_schemas.ts";

interface Data {
  pools: { id: string; name: string }[];
  tokens: ReturnType<typeof joinTokenDto>[];
  commands: Record<keyof JoinCommands, { before: string; after: string }>;
  serverUrl: string;
  localAgent: LocalAgentStatus;
}

export const title = "Join a node · Lattice";

/** Where the secret goes in the join commands. */
const SECRET_MARK = "\u0000SECRET\u0000";

export const handler: PageHandlers<Data> = {
  async GET(c) {
    if (c.get("principal")?.role !== "admin") {
      throw new ForbiddenError("Join tokens are for admins");
    }
    const app = c.get("app");
    const [pools, tokens] = await Promise.all([
      poolService(app).listPools(),
      nodeService(app).listJoinTokens(),
    ]);
    const now = new Date();
    const marked = joinCommands(app.config.publicUrl, SECRET_MARK);
    const commands = Object.fromEntries(
      Object.entries(marked).map(([kind, line]) => {
        const [before, after] = line.split(SECRET_MARK);
        return [kind, { before, after }];
      }),
    ) as Data["commands"];
    return page({
      // The default pool first: it is what most machines join.
      pools: pools.map((p) => ({ id: p.id, name: p.name }))
        .sort((a, b) => (a.name === "default" ? -1 : b.name === "default" ? 1 : 0)),
      tokens: tokens.map((t) => joinTokenDto(t, now)),
      commands,
      serverUrl: app.config.publicUrl,
      localAgent: await app.localAgent.status(),
    });
  },
};

export default function JoinPage({ data }: PageProps<Data>) {
  return (
    <>
      <div class="page-header">
        <h1>Join a node</h1>
      </div>
      <ol class="steps lede join-steps">
        <li>Create a join token for the pool the machine should land in.</li>
        <li>
          On the machine (with Docker 20.10 or newer), run the one line shown: it installs the
          agent, joins and keeps it running. The agent only makes outbound connections to{" "}
          <code>{data.serverUrl}</code>.
        </li>
        <li>
          Approve the node on <a href="/approvals">Approvals</a>{" "}
          (pools with auto-approve skip this).
        </li>
      </ol>
      <JoinTokens pools={data.pools} tokens={data.tokens} commands={data.commands} />
      <p class="muted" data-testid="join-guided">
        New to Docker, or no token at hand? The guided setup checks the machine, installs Docker
        with the owner's consent and signs in with a code instead of a token:{" "}
        <code>curl -fsSL {data.serverUrl}/install.sh | sh -s -- --onboard</code>. Approve the code
        it shows on <a href="/device">/device</a>.
      </p>
      <AddThisMachine initial={data.localAgent} />
    </>
  );
}
