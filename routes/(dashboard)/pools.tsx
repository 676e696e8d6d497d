import { page, type PageHandlers, type PageProps } from "@/lib/web/define.ts";
import { listPools } from "@/db/pools.ts";

interface Data {
  pools: {
    id: string;
    name: string;
    description: string;
    autoApprove: boolean;
    nodeCount: number;
  }[];
}

export const title = "Pools · Lattice";

export const handler: PageHandlers<Data> = {
  async GET(c) {
    const pools = await listPools(c.get("app").db);
    return page({ pools });
  },
};

export default function PoolsPage({ data }: PageProps<Data>) {
  return (
    <>
      <div class="page-header">
        <h1>Pools</h1>
      </div>
      <p class="lede">
        Pools group nodes so that workloads can target them, for example by region, GPU or
        environment. Every new node starts in <code>default</code>.
      </p>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">Nodes</th>
              <th scope="col">Auto-approve</th>
            </tr>
          </thead>
          <tbody>
            {data.pools.map((p) => (
              <tr key={p.id}>
                <td>
                  <code>{p.name}</code>
                </td>
                <td>{p.description || <span class="muted">—</span>}</td>
                <td>{p.nodeCount}</td>
                <td>{p.autoApprove ? "yes" : "no"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
