import { page, type PageHandlers, type PageProps } from "@/lib/web/define.ts";
import { ForbiddenError, NotFoundError } from "@/lib/errors.ts";
import { poolService } from "@/lib/nodes/service.ts";
import { deviceCodeService } from "@/lib/nodes/device_codes.ts";
import { deviceCodeDto } from "@/lib/api/device_code_schemas.ts";
import DeviceApproval from "@/islands/DeviceApproval.tsx";

interface Data {
  typed: string;
  code: ReturnType<typeof deviceCodeDto> | null;
  /** Set when a typed code matches nothing. */
  notFound: boolean;
  expired: boolean;
  pools: { id: string; name: string }[];
}

export const title = "Sign in a machine · Lattice";

export const handler: PageHandlers<Data> = {
  async GET(c) {
    if (c.get("principal")?.role !== "admin") {
      throw new ForbiddenError("Only admins can sign machines in with a code");
    }
    const app = c.get("app");
    const typed = (c.req.query("code") ?? "").trim().slice(0, 20);
    let code = null;
    let notFound = false;
    if (typed) {
      try {
        code = await deviceCodeService(app).getDeviceCode(typed);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        notFound = true;
      }
    }
    const pools = await poolService(app).listPools();
    return page({
      typed,
      code: code ? deviceCodeDto(code) : null,
      notFound,
      expired: !!code && code.expiresAt.getTime() <= Date.now(),
      pools: pools.map((p) => ({ id: p.id, name: p.name }))
        .sort((a, b) => (a.name === "default" ? -1 : b.name === "default" ? 1 : 0)),
    });
  },
};

export default function DevicePage({ data }: PageProps<Data>) {
  const { code } = data;
  return (
    <>
      <div class="page-header">
        <h1>Sign in a machine</h1>
      </div>
      <p class="lede">
        Running <code>lattice-agent join --server URL</code> without a token shows a code such as
        {" "}
        <code>WDJB-MJHT</code>. Enter it here to let that machine join.
      </p>
      <section class="panel" aria-labelledby="device-code-title">
        <header class="panel-header">
          <h2 id="device-code-title">Code</h2>
        </header>
        <form class="form-grid" method="get" action="/device">
          <div class="field">
            <label for="device-code">Code shown by the agent</label>
            <input
              id="device-code"
              name="code"
              value={data.typed}
              autocomplete="off"
              autocapitalize="characters"
              spellcheck={false}
              maxLength={20}
              required
            />
          </div>
          <div class="form-actions">
            <button type="submit" class="button">Look up</button>
          </div>
        </form>
        {data.notFound && (
          <p class="alert alert-error" role="alert" data-testid="device-not-found">
            No machine is waiting with the code {data.typed}: check it against the agent's output.
          </p>
        )}
      </section>
      {code && (
        <section class="panel" aria-labelledby="device-request-title">
          <header class="panel-header">
            <h2 id="device-request-title">Machine asking to join</h2>
          </header>
          <dl class="node-facts" data-testid="device-details">
            <dt>Code</dt>
            <dd>
              <code>{code.userCode}</code>
            </dd>
            <dt>Asked at</dt>
            <dd>{code.createdAt}</dd>
            <dt>From address</dt>
            <dd>{code.ip ?? "unknown"}</dd>
            <dt>Expires</dt>
            <dd>{code.expiresAt}</dd>
          </dl>
          {code.status === "pending" && !data.expired
            ? <DeviceApproval userCode={code.userCode} pools={data.pools} />
            : (
              <p class="alert" data-testid="device-status">
                {data.expired && code.status === "pending"
                  ? "This code has expired: run join on the machine again for a new one."
                  : `This code is already ${code.status}.`}
              </p>
            )}
        </section>
      )}
    </>
  );
}
