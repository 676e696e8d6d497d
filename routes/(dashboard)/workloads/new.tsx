import { page, type PageHandlers, type PageProps } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { listPools } from "@/db/pools.ts";
import { ConflictError } from "@/lib/errors.ts";
import { issueDetails, WorkloadSpec } from "@/lib/workloads/spec.ts";
import { workloadService } from "@/lib/workloads/service.ts";
import { errorsFromApi, type FormValues, readDeployForm } from "@/lib/workloads/deploy_form.ts";
import DeployForm from "@/islands/DeployForm.tsx";

interface Data {
  pools: string[];
  values: FormValues;
  errors: Record<string, string>;
}

export const title = "Deploy · Lattice";

async function poolNames(c: Parameters<NonNullable<PageHandlers<Data>["GET"]>>[0]) {
  return (await listPools(c.get("app").db)).map((p) => p.name);
}

export const handler: PageHandlers<Data> = {
  async GET(c) {
    const template = c.req.query("template") ?? "postgres";
    return page({ pools: await poolNames(c), values: { template }, errors: {} });
  },
  /** The form posted without JavaScript: the same spec and the same checks as the API. */
  async POST(c) {
    const values: FormValues = {};
    for (const [k, v] of Object.entries(await c.req.parseBody())) {
      if (typeof v === "string" && k !== "_csrf") values[k] = v;
    }
    const form = readDeployForm(values);
    const parsed = WorkloadSpec.safeParse(form.input);
    const again = async (errors: Record<string, string>) =>
      page({ pools: await poolNames(c), values, errors }, { status: 422 });
    if (!parsed.success) {
      return again(errorsFromApi({ message: "", details: issueDetails(parsed.error) }, form));
    }
    try {
      const created = await workloadService(c.get("app")).create(
        c.get("principal")!,
        parsed.data,
        requestMeta(c),
        null,
      );
      const id = (created.body as { workload: { id: string } }).workload.id;
      return c.redirect(`/workloads/${id}`, 303);
    } catch (err) {
      if (err instanceof ConflictError) {
        return again(errorsFromApi({ message: err.message, details: err.details }, form));
      }
      throw err;
    }
  },
};

export default function DeployPage({ data, state }: PageProps<Data>) {
  return (
    <>
      <div class="page-header">
        <h1>Deploy a workload</h1>
        <a href="/workloads" class="button button-quiet">All workloads</a>
      </div>
      <noscript>
        <p class="alert">
          Without JavaScript the form still works: it posts to this page. Each list below takes one
          entry; add more later with <code>PATCH /api/v1/workloads/&#123;id&#125;</code>.
        </p>
      </noscript>
      <DeployForm
        pools={data.pools}
        values={data.values}
        errors={data.errors}
        csrfToken={state.csrfToken}
      />
    </>
  );
}
