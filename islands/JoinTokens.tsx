import { useSignal } from "@preact/signals";
import type { joinTokenDto } from "@/lib/api/schemas.ts";
import type { JoinCommands } from "@/lib/agents/agent_bundle.ts";
import { callApi } from "@/lib/web/client/api.ts";
import { ConfirmButton } from "@/components/ConfirmButton.tsx";
import { CopyButton } from "@/components/CopyButton.tsx";
import { RelativeTime } from "@/components/RelativeTime.tsx";
import { JoinWatch } from "@/components/JoinWatch.tsx";

type JoinTokenDto = ReturnType<typeof joinTokenDto>;

interface Props {
  pools: { id: string; name: string }[];
  tokens: JoinTokenDto[];
  /** Each join command around the secret: before + secret + after. */
  commands: Record<keyof JoinCommands, { before: string; after: string }>;
}

const EXPIRY = [
  { hours: 1, label: "in 1 hour" },
  { hours: 24, label: "in 24 hours" },
  { hours: 168, label: "in 7 days" },
  { hours: 720, label: "in 30 days" },
];

const STATE_LABELS: Record<JoinTokenDto["state"], string> = {
  active: "active",
  expired: "expired",
  used_up: "used up",
  revoked: "revoked",
};

/** One command with its copy button; `id` names the code element (and its test id). */
function CommandLine(props: { id: string; text: string }) {
  return (
    <div class="command-line">
      <code class="command" id={props.id} data-testid={props.id}>{props.text}</code>
      <CopyButton text={props.text} label="Copy" targetId={props.id} />
    </div>
  );
}

/**
 * Create join tokens (the one-line command shown once, with a copy button, and the machine
 * appearing live once it joins), list and revoke.
 */
export default function JoinTokens(props: Props) {
  const tokens = useSignal(props.tokens);
  const created = useSignal<{ token: JoinTokenDto; commands: JoinCommands } | null>(null);
  const errors = useSignal<Record<string, string>>({});
  const formError = useSignal("");
  const busy = useSignal(false);
  /** Whether the one line went to the clipboard with the click that created the token. */
  const autoCopied = useSignal(false);

  const create = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const maxUses = Number(form.get("maxUses"));
    const body = {
      poolId: String(form.get("poolId")),
      expiresInHours: Number(form.get("expiresInHours")),
      maxUses: Number.isFinite(maxUses) ? maxUses : 0,
      description: String(form.get("description") ?? "").trim(),
    };
    busy.value = true;
    const res = await callApi<{ token: JoinTokenDto; secret: string }>(
      "POST",
      "/api/v1/join-tokens",
      body,
    );
    busy.value = false;
    if (!res.ok) {
      errors.value = res.fields;
      formError.value = Object.keys(res.fields).length ? "" : res.message;
      return;
    }
    errors.value = {};
    formError.value = "";
    created.value = {
      token: res.data.token,
      commands: {
        sh: `${props.commands.sh.before}${res.data.secret}${props.commands.sh.after}`,
        ps1: `${props.commands.ps1.before}${res.data.secret}${props.commands.ps1.after}`,
        deno: `${props.commands.deno.before}${res.data.secret}${props.commands.deno.after}`,
      },
    };
    tokens.value = [res.data.token, ...tokens.value];
    // Still inside the click's user activation: copy the line, so creating the token is the only
    // click. Without the Clipboard API (plain http on another host) the Copy button remains.
    autoCopied.value = false;
    try {
      await navigator.clipboard.writeText(created.value.commands.sh);
      autoCopied.value = true;
    } catch {
      // The Copy button (or selecting the text) does it instead.
    }
  };

  const revoke = async (id: string) => {
    const res = await callApi("DELETE", `/api/v1/join-tokens/${id}`);
    if (!res.ok) {
      formError.value = res.message;
      return;
    }
    const now = new Date().toISOString();
    tokens.value = tokens.value.map((t) =>
      t.id === id ? { ...t, state: "revoked", revokedAt: now } : t
    );
  };

  const err = (name: string, label: string) =>
    errors.value[name] && (
      <p class="field-error" id={`jt-${name}-error`} data-field-error={name}>
        {label} {errors.value[name]}
      </p>
    );
  const invalid = (name: string) =>
    errors.value[name]
      ? { "aria-invalid": "true" as const, "aria-describedby": `jt-${name}-error` }
      : {};

  return (
    <>
      <section class="panel" aria-labelledby="new-token-title">
        <header class="panel-header">
          <h2 id="new-token-title">New join token</h2>
        </header>
        <form class="form-grid join-form" onSubmit={create} noValidate>
          <div class={errors.value.poolId ? "field field-invalid" : "field"}>
            <label for="jt-poolId">Pool</label>
            <select id="jt-poolId" name="poolId" {...invalid("poolId")}>
              {props.pools.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
            </select>
            {err("poolId", "Pool")}
          </div>
          <div class="field">
            <label for="jt-expiresInHours">Expires</label>
            <select id="jt-expiresInHours" name="expiresInHours">
              {EXPIRY.map((x) => (
                <option key={x.hours} value={x.hours} selected={x.hours === 24}>{x.label}</option>
              ))}
            </select>
          </div>
          <div class={errors.value.maxUses ? "field field-invalid" : "field"}>
            <label for="jt-maxUses">Max uses</label>
            <input
              id="jt-maxUses"
              name="maxUses"
              type="number"
              min={1}
              max={10000}
              defaultValue="1"
              {...invalid("maxUses")}
            />
            {err("maxUses", "Max uses")}
          </div>
          <div class={errors.value.description ? "field field-invalid" : "field"}>
            <label for="jt-description">Note</label>
            <input
              id="jt-description"
              name="description"
              maxLength={500}
              {...invalid("description")}
            />
            {err("description", "Note")}
          </div>
          <div class="form-actions">
            <button type="submit" class="button button-primary" disabled={busy.value}>
              Create join token
            </button>
          </div>
        </form>
        {formError.value && <p class="alert alert-error" role="alert">{formError.value}</p>}
        {created.value && (
          <div class="alert alert-success join-created" role="status" data-testid="join-created">
            <p>
              Token <code>{created.value.token.prefix}…</code> for pool{" "}
              <strong>{created.value.token.poolName}</strong>{" "}
              created. Run this on the machine (Linux or macOS, with Docker): it installs the agent,
              joins and keeps it running. The token is not shown again.
            </p>
            <CommandLine id="join-command" text={created.value.commands.sh} />
            {autoCopied.value && (
              <p class="muted" data-testid="join-autocopied">
                Copied to your clipboard: paste it into a terminal on the machine.
              </p>
            )}
            <details class="join-alternatives">
              <summary>Windows, or Deno without installing</summary>
              <p>In Windows PowerShell:</p>
              <CommandLine id="join-command-ps1" text={created.value.commands.ps1} />
              <p>
                With{" "}
                <a href="https://deno.com">Deno</a>, nothing installed (the agent runs in this
                terminal):
              </p>
              <CommandLine id="join-command-deno" text={created.value.commands.deno} />
            </details>
            <JoinWatch key={created.value.token.id} since={created.value.token.createdAt} />
          </div>
        )}
      </section>

      <section class="panel" aria-labelledby="tokens-title">
        <header class="panel-header">
          <h2 id="tokens-title">Join tokens</h2>
        </header>
        {tokens.value.length === 0
          ? <p class="muted">No join tokens yet: create one above to add a machine.</p>
          : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Token</th>
                    <th scope="col">Pool</th>
                    <th scope="col">State</th>
                    <th scope="col" class="num">Uses</th>
                    <th scope="col">Expires</th>
                    <th scope="col">Note</th>
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {tokens.value.map((t) => (
                    <tr key={t.id} data-token={t.prefix}>
                      <td>
                        <code>{t.prefix}…</code>
                      </td>
                      <td>{t.poolName}</td>
                      <td>
                        <span class={`badge badge-token-${t.state}`}>{STATE_LABELS[t.state]}</span>
                      </td>
                      <td class="num">{t.uses} / {t.maxUses}</td>
                      <td>
                        <RelativeTime iso={t.expiresAt} />
                      </td>
                      <td>{t.description || <span class="muted">—</span>}</td>
                      <td>
                        {t.state === "active" && (
                          <ConfirmButton
                            label="Revoke"
                            question={`Revoke ${t.prefix}…?`}
                            confirmLabel="Revoke token"
                            onConfirm={() => revoke(t.id)}
                          />
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
      </section>
    </>
  );
}
