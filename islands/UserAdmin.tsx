import { useSignal } from "@preact/signals";
import type { AdminUser } from "@/lib/api/admin_schemas.ts";
import { callApi } from "@/lib/web/client/api.ts";
import { RelativeTime } from "@/components/RelativeTime.tsx";

/** Accounts with their roles; admins change a role or disable an account through the API. */
export default function UserAdmin(props: { users: AdminUser[]; selfId: string }) {
  const users = useSignal(props.users);
  const errors = useSignal<Record<string, string>>({});
  const busy = useSignal<string | null>(null);

  const change = async (u: AdminUser, patch: { role?: "admin" | "user"; disabled?: boolean }) => {
    busy.value = u.id;
    const res = await callApi<{ user: AdminUser }>("PATCH", `/api/v1/users/${u.id}`, patch);
    busy.value = null;
    const { [u.id]: _, ...rest } = errors.value;
    if (res.ok) {
      errors.value = rest;
      users.value = users.value.map((x) => (x.id === u.id ? res.data.user : x));
    } else {
      errors.value = { ...rest, [u.id]: res.message };
    }
  };

  return (
    <div class="table-wrap">
      <table class="users">
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Joined</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {users.value.map((u) => {
            const self = u.id === props.selfId;
            return (
              <tr key={u.id} data-user={u.email}>
                <td>
                  {u.email}
                  {self && <span class="muted">(you)</span>}
                  {u.disabledAt && <span class="badge badge-denied">disabled</span>}
                </td>
                <td>
                  <span class={`badge badge-${u.role}`} data-testid="user-role">{u.role}</span>
                </td>
                <td>
                  <RelativeTime iso={u.createdAt} />
                </td>
                <td class="row-actions">
                  <button
                    type="button"
                    class="button button-small"
                    disabled={busy.value === u.id}
                    onClick={() => change(u, { role: u.role === "admin" ? "user" : "admin" })}
                  >
                    {u.role === "admin" ? "Make user" : "Make admin"}
                    <span class="visually-hidden">{u.email}</span>
                  </button>
                  {!self && (
                    <button
                      type="button"
                      class={u.disabledAt
                        ? "button button-small"
                        : "button button-danger button-small"}
                      disabled={busy.value === u.id}
                      onClick={() => change(u, { disabled: !u.disabledAt })}
                    >
                      {u.disabledAt ? "Enable" : "Disable"}
                      <span class="visually-hidden">{u.email}</span>
                    </button>
                  )}
                  {errors.value[u.id] && (
                    <p class="field-error" role="alert" data-testid="user-error">
                      {errors.value[u.id]}
                    </p>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
