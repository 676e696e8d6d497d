import { page, type PageHandlers, type PageProps } from "@/lib/web/define.ts";
import { type AuditOutcome, listAudit } from "@/db/audit_log.ts";
import { auditDto } from "@/lib/api/schemas.ts";
import { ForbiddenError } from "@/lib/errors.ts";
import { EmptyState } from "@/components/EmptyState.tsx";
import { RelativeTime } from "@/components/RelativeTime.tsx";

/** The filter's areas: action prefixes, with their names. */
const AREAS: [string, string][] = [
  ["auth.", "Sign-ins"],
  ["token.", "API tokens"],
  ["user.", "Users and roles"],
  ["node.", "Nodes"],
  ["pool.", "Pools"],
  ["join_token.", "Join tokens"],
  ["workload.", "Workloads"],
];
const OUTCOMES: AuditOutcome[] = ["success", "failure", "denied"];

interface Data {
  entries: ReturnType<typeof auditDto>[];
  nextBefore: string | null;
  area: string;
  outcome: string;
}

export const title = "Audit log · Lattice";
const PAGE_SIZE = 100;

export const handler: PageHandlers<Data> = {
  async GET(c) {
    if (c.get("principal")?.role !== "admin") {
      throw new ForbiddenError("The audit log is for admins");
    }
    const before = c.req.query("before");
    // Unknown filter values are ignored rather than refused: they come from a GET form.
    const area = AREAS.some(([prefix]) => prefix === c.req.query("area"))
      ? c.req.query("area")!
      : "";
    const outcome = OUTCOMES.find((o) => o === c.req.query("outcome")) ?? "";
    const entries = await listAudit(c.get("app").db, {
      limit: PAGE_SIZE,
      before: before && /^\d{1,18}$/.test(before) ? before : undefined,
      actionPrefix: area || undefined,
      outcome: outcome || undefined,
    });
    return page({
      entries: entries.map(auditDto),
      nextBefore: entries.length === PAGE_SIZE ? entries[entries.length - 1].id : null,
      area,
      outcome,
    });
  },
};

function query(params: Record<string, string | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

export default function AuditPage({ data }: PageProps<Data>) {
  const filtered = data.area !== "" || data.outcome !== "";
  return (
    <>
      <div class="page-header">
        <h1>Audit log</h1>
      </div>
      <p class="lede">Every sign-in, token and administrative change, newest first.</p>
      <form method="get" action="/audit" class="filters" aria-label="Filter the audit log">
        <div class="field">
          <label for="f-area">Area</label>
          <select id="f-area" name="area">
            <option value="">Everything</option>
            {AREAS.map(([prefix, label]) => (
              <option key={prefix} value={prefix} selected={prefix === data.area}>{label}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-outcome">Outcome</label>
          <select id="f-outcome" name="outcome">
            <option value="">Any</option>
            {OUTCOMES.map((o) => (
              <option key={o} value={o} selected={o === data.outcome}>{o}</option>
            ))}
          </select>
        </div>
        <div class="form-actions">
          <button type="submit" class="button">Filter</button>
          {filtered && <a href="/audit" class="button button-quiet">Clear</a>}
        </div>
      </form>
      {data.entries.length === 0
        ? (
          <EmptyState title="No entries match">
            <p>
              Nothing in the audit log matches these filters. <a href="/audit">Show everything</a>.
            </p>
          </EmptyState>
        )
        : (
          <div class="table-wrap">
            <table class="audit">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Action</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Target</th>
                  <th scope="col">From</th>
                </tr>
              </thead>
              <tbody>
                {data.entries.map((e) => (
                  <tr key={e.id}>
                    <td>
                      <RelativeTime iso={e.at} />
                    </td>
                    <td>{e.actor}</td>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td>
                      <span class={`badge badge-${e.outcome}`}>{e.outcome}</span>
                    </td>
                    <td>
                      {e.targetType ? `${e.targetType} ${e.targetId?.slice(0, 8) ?? ""}` : "—"}
                    </td>
                    <td>{e.ip ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      {data.nextBefore && (
        <p class="pager">
          <a
            href={`/audit${
              query({ area: data.area, outcome: data.outcome, before: data.nextBefore })
            }`}
            class="button"
          >
            Older entries
          </a>
        </p>
      )}
    </>
  );
}
