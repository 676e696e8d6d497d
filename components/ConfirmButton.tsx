import { useSignal } from "@preact/signals";

/**
 * A destructive button that asks once more in place (no modal, no `confirm()`): the first
 * click shows "Confirm" and "Cancel"; only "Confirm" runs `onConfirm`. For use inside islands.
 */
export function ConfirmButton(props: {
  label: string;
  /** The question shown while asking, e.g. `Delete pool "gpu"?` */
  question: string;
  confirmLabel?: string;
  onConfirm: () => void | Promise<void>;
  busy?: boolean;
}) {
  const asking = useSignal(false);
  if (!asking.value) {
    return (
      <button
        type="button"
        class="button button-danger button-small"
        disabled={props.busy}
        onClick={() => (asking.value = true)}
      >
        {props.label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={props.question}>
      <span class="confirm-question">{props.question}</span>
      <button
        type="button"
        class="button button-danger-solid button-small"
        disabled={props.busy}
        onClick={async () => {
          await props.onConfirm();
          asking.value = false;
        }}
      >
        {props.confirmLabel ?? "Confirm"}
      </button>
      <button
        type="button"
        class="button button-small"
        onClick={() => (asking.value = false)}
      >
        Cancel
      </button>
    </span>
  );
}
