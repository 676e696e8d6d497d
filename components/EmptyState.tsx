import type { ComponentChildren } from "preact";

/** What a page shows when it has nothing yet, and what to do about it. */
export function EmptyState(props: { title: string; children: ComponentChildren }) {
  return (
    <section class="empty-state">
      <h2>{props.title}</h2>
      <div class="empty-state-body">{props.children}</div>
    </section>
  );
}
