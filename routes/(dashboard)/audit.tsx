import { page, type PageHandlers, type PageProps } from "@/lib/web/define.ts";
import { listAudit } from "@/db/audit_log.ts";
import { auditDto } from "@/lib/api/schemas.ts";
import { ForbiddenError } from "@/lib/errors.ts";
import { RelativeTime } from "@/components/RelativeTime.tsx";

interface Data {
  entries: ReturnType<typeof auditDto>[];
  nextBefore: string | null;
}

export const title = "Audit log · Lattice";
const PAGE_SIZE = 100;

export const handler: PageHandlers<Data> = {
  async GET(c) {
    if (c.get("principal")?.role !== "admin") {
      throw new ForbiddenError("The audit log is for admins");
    }
    const before = c.req.query("before");
    const entries = await listAudit(c.get("app").db, {
      limit: PAGE_SIZE,
      before: before && /^\d{1,18}$/.test(before) ? before : undefined,
    });
    return page({
      entries: entries.map(auditDto),
      nextBefore: entries.length === PAGE_SIZE ? entries[entries.length - 1].id : null,
    });
  },
};

export default function AuditPage({ data }: PageProps<Data>) {
  return (
    <>
      <div class="page-header">
        <h1>Audit log</h1>
      </div>
      <p class="lede">Every sign-in, token and administrative change, newest first.</p>
      <div class="table-wrap">
        <table>
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
                <td>{e.targetType ? `${e.targetType} ${e.targetId?.slice(0, 8) ?? ""}` : "—"}</td>
                <td>{e.ip ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {data.nextBefore && (
        <p>
          <a href={`/audit?before=${data.nextBefore}`} class="button">Older entries</a>
        </p>
      )}
    </>
  );
}
