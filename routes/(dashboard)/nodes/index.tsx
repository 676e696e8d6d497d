import { page, type PageHandlers, type PageProps } from "@/lib/web/define.ts";
import { ForbiddenError } from "@/lib/errors.ts";
import { NODE_SORT_DEFAULT_ORDER } from "@/db/nodes.ts";
import { EmptyState } from "@/components/EmptyState.tsx";
import {
  LIST_BUCKET_SECONDS,
  LIST_HISTORY_SECONDS,
  loadNodeListPage,
} from "@/lib/nodes/node_pages.ts";
import {
  nodeListHref,
  type NodeListQuery,
  type NodeRowView,
  NODES_PER_PAGE,
  parseNodeListQuery,
  toggledOrder,
} from "@/lib/nodes/node_view.ts";
import NodeTable, { type NodeColumn } from "@/islands/NodeTable.tsx";

interface Data {
  query: NodeListQuery;
  rows: NodeRowView[];
  total: number;
  pools: { id: string; name: string }[];
  clusters: { name: string; nodes: number }[];
  now: number;
}

export const title = "Nodes · Lattice";

export const handler: PageHandlers<Data> = {
  async GET(c) {
    if (c.get("principal")?.role !== "admin") {
      throw new ForbiddenError("The node list is for admins");
    }
    const query = parseNodeListQuery(new URL(c.req.url).searchParams);
    const { rows, total, pools, clusters } = await loadNodeListPage(c.get("app").db, query);
    return page({
      query,
      rows,
      total,
      pools: pools.map((p) => ({ id: p.id, name: p.name })),
      clusters,
      now: Date.now(),
    });
  },
};

const SORT_LABELS: Record<NodeListQuery["sort"], string> = {
  name: "Name",
  rank: "Rank",
  created: "Joined",
  lastSeen: "Last seen",
  cluster: "Cluster",
};

function columns(query: NodeListQuery, showCluster: boolean): NodeColumn[] {
  const sortable = (label: string, sort: NodeListQuery["sort"], cls?: string): NodeColumn => {
    const current = query.sort === sort ? (query.order ?? NODE_SORT_DEFAULT_ORDER[sort]) : null;
    return {
      label,
      class: cls,
      href: nodeListHref(query, {
        sort,
        order: toggledOrder(query, sort, NODE_SORT_DEFAULT_ORDER),
        page: 1,
      }),
      sorted: current === "asc" ? "ascending" : current === "desc" ? "descending" : undefined,
    };
  };
  return [
    sortable("Name", "name", "col-name"),
    { label: "Status", class: "col-status" },
    sortable("Rank", "rank", "col-rank"),
    { label: "Pool", class: "col-pool" },
    ...(showCluster ? [sortable("Cluster", "cluster", "col-cluster")] : []),
    { label: "CPU", class: "col-spark" },
    { label: "Memory", class: "col-spark" },
    { label: "Hours", class: "col-hours" },
    { label: "Agent", class: "col-version" },
    sortable("Last seen", "lastSeen", "col-seen"),
  ];
}

function Select(props: {
  name: string;
  label: string;
  value: string | undefined;
  options: [string, string][];
}) {
  return (
    <div class="field">
      <label for={`f-${props.name}`}>{props.label}</label>
      <select id={`f-${props.name}`} name={props.name}>
        {props.options.map(([value, text]) => (
          <option key={value} value={value} selected={(props.value ?? "") === value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

function Filters(
  { query, pools, clusters }: {
    query: NodeListQuery;
    pools: Data["pools"];
    clusters: Data["clusters"];
  },
) {
  return (
    <form method="get" action="/nodes" class="node-filters" role="search">
      <div class="field node-filter-q">
        <label for="f-q">Search</label>
        <input
          id="f-q"
          name="q"
          type="search"
          value={query.q ?? ""}
          placeholder="Name, label or key=value"
        />
      </div>
      <Select
        name="status"
        label="Status"
        value={query.status}
        options={[["", "Any"], ["online", "Online"], ["offline", "Offline"], [
          "unknown",
          "Never seen",
        ]]}
      />
      <Select
        name="approval"
        label="Approval"
        value={query.approval}
        options={[["", "Any"], ["approved", "Approved"], ["pending", "Pending"], [
          "rejected",
          "Rejected",
        ], ["revoked", "Revoked"]]}
      />
      <Select
        name="pool"
        label="Pool"
        value={query.poolId}
        options={[["", "Any"], ...pools.map((p): [string, string] => [p.id, p.name])]}
      />
      {clusters.length > 0 && (
        <Select
          name="cluster"
          label="Cluster"
          value={query.cluster}
          options={[
            ["", "Any"],
            ...clusters.map((c): [string, string] => [c.name, `${c.name} (${c.nodes})`]),
          ]}
        />
      )}
      <Select
        name="sort"
        label="Sort by"
        value={query.sort}
        options={Object.entries(SORT_LABELS) as [string, string][]}
      />
      <Select
        name="order"
        label="Order"
        value={query.order}
        options={[["", "Default"], ["asc", "Ascending"], ["desc", "Descending"]]}
      />
      <div class="node-filter-actions">
        <button type="submit" class="button button-primary">Apply</button>
        <a href="/nodes" class="button button-quiet">Reset</a>
      </div>
    </form>
  );
}

function Pagination({ query, total }: { query: NodeListQuery; total: number }) {
  const pages = Math.max(1, Math.ceil(total / NODES_PER_PAGE));
  const first = (query.page - 1) * NODES_PER_PAGE + 1;
  const last = Math.min(total, query.page * NODES_PER_PAGE);
  return (
    <nav class="pagination" aria-label="Pages of nodes">
      <span class="muted" data-testid="nodes-range">
        {total === 0 ? "No nodes" : `${first}–${last} of ${total.toLocaleString("en")}`}
      </span>
      <span class="pagination-links">
        {query.page > 1
          ? (
            <a
              class="button button-small"
              rel="prev"
              href={nodeListHref(query, { page: query.page - 1 })}
            >
              Previous
            </a>
          )
          : <span class="button button-small" aria-disabled="true">Previous</span>}
        <span class="pagination-page">Page {query.page} of {pages}</span>
        {query.page < pages
          ? (
            <a
              class="button button-small"
              rel="next"
              href={nodeListHref(query, { page: query.page + 1 })}
            >
              Next
            </a>
          )
          : <span class="button button-small" aria-disabled="true">Next</span>}
      </span>
    </nav>
  );
}

export default function NodesPage({ data }: PageProps<Data>) {
  const { query, rows, total } = data;
  const filtered = Boolean(query.q || query.status || query.approval || query.poolId);
  const ids = rows.map((r) => r.id).join(",");
  return (
    <>
      <div class="page-header">
        <h1>Nodes</h1>
        <a href="/join" class="button">Add a node</a>
      </div>
      <Filters query={query} pools={data.pools} clusters={data.clusters} />
      {rows.length === 0
        ? (
          filtered || query.page > 1
            ? (
              <EmptyState title="No nodes match">
                <p>
                  Nothing matches these filters{query.page > 1 ? " on this page" : ""}.{" "}
                  <a href="/nodes">Show every node</a> or loosen the search.
                </p>
              </EmptyState>
            )
            : (
              <EmptyState title="No nodes yet">
                <p>
                  Nodes are the machines that run your workloads. Create a join token on{" "}
                  <a href="/join">Join</a>{" "}
                  and run the one-line install on a machine; it appears here, and waits in{" "}
                  <a href="/approvals">Approvals</a> unless its pool approves it at once.
                </p>
              </EmptyState>
            )
        )
        : (
          <NodeTable
            rows={rows}
            columns={columns(query, data.clusters.length > 0)}
            showCluster={data.clusters.length > 0}
            now={data.now}
            windowMs={LIST_HISTORY_SECONDS * 1000}
            bucketMs={LIST_BUCKET_SECONDS * 1000}
            streamUrl={`/api/v1/nodes/stream?batchMs=500&ids=${ids}`}
          />
        )}
      {total > 0 && <Pagination query={query} total={total} />}
    </>
  );
}
