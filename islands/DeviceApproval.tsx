import { useSignal } from "@preact/signals";
import { callApi } from "@/lib/web/client/api.ts";

interface Props {
  userCode: string;
  pools: { id: string; name: string }[];
}

/** Approve (into a pool) or deny a machine's sign-in code. */
export default function DeviceApproval(props: Props) {
  const poolId = useSignal(props.pools[0]?.id ?? "");
  const busy = useSignal(false);
  const result = useSignal<{ ok: boolean; message: string } | null>(null);

  const decide = async (action: "approve" | "deny") => {
    busy.value = true;
    const path = `/api/v1/device-codes/${encodeURIComponent(props.userCode)}/${action}`;
    const res = await callApi(
      "POST",
      path,
      action === "approve" ? { poolId: poolId.value } : undefined,
    );
    busy.value = false;
    result.value = res.ok
      ? {
        ok: true,
        message: action === "approve"
          ? "Approved: the machine joins within a few seconds."
          : "Denied: the machine was told no.",
      }
      : { ok: false, message: res.message };
  };

  if (result.value?.ok) {
    return (
      <p class="alert alert-success" role="status" data-testid="device-result">
        {result.value.message}
      </p>
    );
  }
  return (
    <div class="form-grid">
      <div class="field">
        <label for="device-pool">Pool</label>
        <select
          id="device-pool"
          name="poolId"
          value={poolId.value}
          onChange={(e) => poolId.value = (e.target as HTMLSelectElement).value}
        >
          {props.pools.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
        </select>
      </div>
      <div class="form-actions">
        <button
          type="button"
          class="button button-primary"
          disabled={busy.value}
          onClick={() => decide("approve")}
        >
          Approve
        </button>
        <button
          type="button"
          class="button button-danger"
          disabled={busy.value}
          onClick={() => decide("deny")}
        >
          Deny
        </button>
      </div>
      {result.value && (
        <p class="alert alert-error" role="alert" data-testid="device-result">
          {result.value.message}
        </p>
      )}
    </div>
  );
}
