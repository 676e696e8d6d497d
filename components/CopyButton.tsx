import { useSignal } from "@preact/signals";

/**
 * Copy `text` to the clipboard. Without the Clipboard API (plain http on another host) it
 * selects the element `targetId` names, so Ctrl+C finishes the job, and says so.
 */
export function CopyButton(props: { text: string; label?: string; targetId?: string }) {
  const state = useSignal<"idle" | "copied" | "select">("idle");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      state.value = "copied";
    } catch {
      const el = props.targetId ? document.getElementById(props.targetId) : null;
      if (el) {
        const range = document.createRange();
        range.selectNodeContents(el);
        const sel = getSelection();
        sel?.removeAllRanges();
        sel?.addRange(range);
      }
      state.value = "select";
    }
    setTimeout(() => (state.value = "idle"), 2500);
  };
  return (
    <button
      type="button"
      class="button button-small copy-button"
      onClick={copy}
      data-state={state.value}
      data-testid="copy-button"
    >
      <span aria-live="polite">
        {state.value === "copied"
          ? "Copied"
          : state.value === "select"
          ? "Press Ctrl+C"
          : props.label ?? "Copy"}
      </span>
    </button>
  );
}
