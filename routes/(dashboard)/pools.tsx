import { page, type PageHandlers, type PageProps } from "@/lib/web/define.ts";
import { ForbiddenError } from "@/lib/errors.ts";
import { poolService } from "@/lib/nodes/service.ts";
import { DEFAULT_POOL_ID } from "@/db/pools.ts";
import { loadOnlineCapacity } from "@/db/overview.ts";
import { capacityByPool } from "@/lib/overview/summary.ts";
import type { Overview } from "@/lib/api/admin_schemas.ts";
import { poolDto } from "@/lib/api/schemas.ts";
import { criteriaCount, type PoolCriteria } from "@/lib/nodes/pool_criteria.ts";
import { formatCores, formatMiB } from "@/lib/web/format.ts";
import { UsageMeter } from "@/components/UsageMeter.tsx";
import PoolEditor from "@/islands/PoolEditor.tsx";

interface PoolRow extends ReturnType<typeof poolDto> {
  capacity: Overview["capacity"] | null;
}

interface Data {
  pools: PoolRow[];
  saved: string | null;
  deleted: string | null;
}

export const title = "Pools · Lattice";

export const handler: PageHandlers<Data> = {
  async GET(c) {
    if (c.get("principal")?.role !== "admin") {
      throw new ForbiddenError("Pools are managed by admins");
    }
    const app = c.get("app");
    const [pools, capacity] = await Promise.all([
      poolService(app).listPools(),
      loadOnlineCapacity(app.db),
    ]);
    const byPool = capacityByPool(capacity);
    return page({
      pools: pools.map((p) => ({ ...poolDto(p), capacity: byPool.get(p.id) ?? null })),
      saved: c.req.query("saved")?.slice(0, 63) ?? null,
      deleted: c.req.query("deleted")?.slice(0, 63) ?? null,
    });
  },
};

/** Criteria in words, one chip per condition. */
function CriteriaChips(props: { criteria: PoolCriteria }) {
  const c = props.criteria;
  if (criteriaCount(c) === 0) {
    return <span class="muted">No criteria: nodes join by token or by hand</span>;
  }
  return (
    <ul class="chips" aria-label="Criteria">
      {Object.entries(c.labels ?? {}).map(([k, v]) => (
        <li key={k} class="chip">
          <code>{k}={v}</code>
        </li>
      ))}
      {c.region !== undefined && <li class="chip">region {c.region}</li>}
      {c.environment !== undefined && <li class="chip">environment {c.environment}</li>}
      {c.gpu !== undefined && <li class="chip">{c.gpu ? "has a GPU" : "no GPU"}</li>}
    </ul>
  );
}

export default function PoolsPage({ data }: PageProps<Data>) {
  return (
    <>
      <div class="page-header">
        <h1>Pools</h1>
        <PoolEditor mode="create" />
      </div>
      <p class="lede">
        Pools group nodes so workloads can target them, by region, GPU or environment. A node joins
        the most specific pool whose criteria it matches; the rest stay in <code>default</code>.
      </p>
      {data.saved && (
        <p class="alert alert-success" role="status" data-testid="pool-saved">
          Pool <strong>{data.saved}</strong> saved.
        </p>
      )}
      {data.deleted && (
        <p class="alert alert-success" role="status">
          Pool <strong>{data.deleted}</strong> deleted; its nodes moved to default.
        </p>
      )}
      <ul class="pool-list">
        {data.pools.map((p) => {
          const cap = p.capacity;
          return (
            <li key={p.id} class="panel pool-card" data-pool={p.name}>
              <header class="pool-head">
                <h2>
                  <code>{p.name}</code>
                </h2>
                {p.autoApprove
                  ? <span class="badge badge-success">auto-approve</span>
                  : <span class="badge">approval by admin</span>}
              </header>
              {p.description && <p>{p.description}</p>}
              <CriteriaChips criteria={p.criteria} />
              <dl class="pool-health">
                <div>
                  <dt>Nodes</dt>
                  <dd data-testid="pool-nodes">{p.nodeCount}</dd>
                </div>
                <div>
                  <dt>Online</dt>
                  <dd class={p.onlineNodes < p.nodeCount ? "warn-text" : undefined}>
                    {p.onlineNodes}
                  </dd>
                </div>
              </dl>
              {cap
                ? (
                  <div class="pool-meters">
                    <UsageMeter
                      label="CPU"
                      used={cap.cpuMillicores.used}
                      total={cap.cpuMillicores.total}
                      value={`${formatCores(cap.cpuMillicores.used)} / ${
                        formatCores(cap.cpuMillicores.total)
                      } cores`}
                    />
                    <UsageMeter
                      label="Memory"
                      used={cap.memoryMiB.used}
                      total={cap.memoryMiB.total}
                      value={`${formatMiB(cap.memoryMiB.used)} / ${formatMiB(cap.memoryMiB.total)}`}
                    />
                  </div>
                )
                : <p class="muted">No online approved nodes: no capacity to place on.</p>}
              <PoolEditor
                mode="edit"
                pool={{
                  id: p.id,
                  name: p.name,
                  description: p.description,
                  autoApprove: p.autoApprove,
                  criteria: p.criteria,
                  isDefault: p.id === DEFAULT_POOL_ID,
                }}
              />
            </li>
          );
        })}
      </ul>
    </>
  );
}
