import { z } from "zod";
import { page, type PageHandlers, type PageProps } from "@/lib/web/define.ts";
import { readForm } from "@/lib/web/forms.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { listUsers } from "@/db/users.ts";
import { CreateTokenRequest, tokenDto } from "@/lib/api/schemas.ts";
import { type AdminUser, adminUserDto } from "@/lib/api/admin_schemas.ts";
import UserAdmin from "@/islands/UserAdmin.tsx";
import { CsrfField, Field } from "@/components/Field.tsx";
import { RelativeTime } from "@/components/RelativeTime.tsx";

interface Data {
  tokens: ReturnType<typeof tokenDto>[];
  users: AdminUser[] | null;
  created: { name: string; secret: string } | null;
  errors: Record<string, string>;
  values: Record<string, string>;
}

export const title = "Settings · Lattice";

const Action = z.discriminatedUnion("action", [
  z.object({
    action: z.literal("create-token"),
    name: CreateTokenRequest.shape.name,
    expiresInDays: z.enum(["", "7", "30", "90", "365"]).transform((v) => v ? Number(v) : null),
  }),
  z.object({ action: z.literal("revoke-token"), id: z.uuid() }),
]);

async function load(
  c: Parameters<NonNullable<PageHandlers<Data>["GET"]>>[0],
  extra: Partial<Data> = {},
): Promise<Data> {
  const app = c.get("app");
  const principal = c.get("principal")!;
  const tokens = await app.auth.listApiTokens(principal);
  const users = principal.role === "admin" ? await listUsers(app.db, { limit: 200 }) : null;
  return {
    tokens: tokens.map(tokenDto),
    users: users?.map(adminUserDto) ?? null,
    created: null,
    errors: {},
    values: {},
    ...extra,
  };
}

export const handler: PageHandlers<Data> = {
  async GET(c) {
    return page(await load(c));
  },
  async POST(c) {
    const app = c.get("app");
    const principal = c.get("principal")!;
    const form = await readForm(c, Action);
    if (!form.ok) {
      return page(await load(c, { errors: form.errors, values: form.values }), { status: 422 });
    }
    if (form.data.action === "create-token") {
      const { token, secret } = await app.auth.createApiToken(principal, {
        name: form.data.name,
        expiresInDays: form.data.expiresInDays,
      }, requestMeta(c));
      return page(await load(c, { created: { name: token.name, secret } }), { status: 201 });
    }
    await app.auth.revokeApiToken(principal, form.data.id, requestMeta(c));
    return c.redirect("/settings", 303);
  },
};

export default function Settings({ data, state }: PageProps<Data>) {
  const live = data.tokens.filter((t) => !t.revokedAt);
  return (
    <>
      <div class="page-header">
        <h1>Settings</h1>
      </div>
      <section class="panel" aria-labelledby="account-title">
        <header class="panel-header">
          <h2 id="account-title">Your account</h2>
        </header>
        <dl class="stats account-stats">
          <div>
            <dt>Email</dt>
            <dd>{state.principal!.email}</dd>
          </div>
          <div>
            <dt>Role</dt>
            <dd>{state.principal!.role}</dd>
          </div>
        </dl>
      </section>

      <section class="panel" aria-labelledby="tokens-title">
        <header class="panel-header">
          <h2 id="tokens-title">API tokens</h2>
        </header>
        <p class="muted">
          Use a token as <code>Authorization: Bearer lat_…</code> with the{" "}
          <a href="/api/v1/openapi.json">JSON API</a>. A token can do everything your account can.
        </p>
        {data.created && (
          <div class="alert alert-success" role="status">
            <p>
              Token <strong>{data.created.name}</strong>{" "}
              created. Copy it now: it will not be shown again.
            </p>
            <code class="secret" data-testid="new-token">{data.created.secret}</code>
          </div>
        )}
        <form method="post" action="/settings" class="inline-fields">
          <CsrfField token={state.csrfToken} />
          <input type="hidden" name="action" value="create-token" />
          <Field
            name="name"
            label="Name"
            value={data.values.name}
            error={data.errors.name && `Name ${data.errors.name}`}
            hint="What will use it, e.g. “CI deploys”"
            required
          />
          <div class="field">
            <label for="f-expires">Expires</label>
            <select id="f-expires" name="expiresInDays">
              <option value="30">in 30 days</option>
              <option value="7">in 7 days</option>
              <option value="90">in 90 days</option>
              <option value="365">in a year</option>
              <option value="">never</option>
            </select>
          </div>
          <button type="submit" class="button button-primary">Create token</button>
        </form>
        {live.length === 0 ? <p class="muted">You have no API tokens.</p> : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Token</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Expires</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {live.map((t) => (
                  <tr key={t.id}>
                    <td>{t.name}</td>
                    <td>
                      <code>{t.prefix}…</code>
                    </td>
                    <td>
                      <RelativeTime iso={t.createdAt} />
                    </td>
                    <td>
                      <RelativeTime iso={t.lastUsedAt} />
                    </td>
                    <td>
                      <RelativeTime iso={t.expiresAt} empty="never" />
                    </td>
                    <td>
                      <form method="post" action="/settings" class="inline-form">
                        <CsrfField token={state.csrfToken} />
                        <input type="hidden" name="action" value="revoke-token" />
                        <input type="hidden" name="id" value={t.id} />
                        <button type="submit" class="button button-danger button-small">
                          Revoke<span class="visually-hidden">{t.name}</span>
                        </button>
                      </form>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {data.users && (
        <section class="panel" aria-labelledby="users-title">
          <header class="panel-header">
            <h2 id="users-title">Users and roles</h2>
          </header>
          <p class="muted">
            Admins manage nodes, pools, approvals and join tokens and see every workload; users see
            their own workloads. Disabling an account ends its sign-ins and stops its API tokens.
            Every change is in the <a href="/audit?area=user.">audit log</a>.
          </p>
          <UserAdmin users={data.users} selfId={state.principal!.userId} />
        </section>
      )}
    </>
  );
}
