import { type ComponentType, h, type VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import type { Assets } from "./assets.ts";
import type { LayoutProps, PageProps } from "./define.ts";
import { collectIslands } from "./islands.ts";

/** Everything needed to render one page: _app, layouts from outermost in, the page. */
export interface RenderInput {
  app: ComponentType<LayoutProps> | null;
  layouts: ComponentType<LayoutProps>[];
  // deno-lint-ignore no-explicit-any
  page: ComponentType<PageProps<any>>;
  props: PageProps<unknown>;
  assets: Assets;
}

/**
 * Render a page to an HTML document. Pages that use islands get one module script (the
 * hydration entry) and preload hints for their islands; pages without islands get no script.
 */
export function renderDocument(input: RenderInput): string {
  const { props } = input;
  let Inner: ComponentType = () => h(input.page, props);
  for (let i = input.layouts.length - 1; i >= 0; i--) {
    const Layout = input.layouts[i];
    const Child: ComponentType = Inner;
    Inner = () => h(Layout, { ...props, Component: Child });
  }
  const Root = input.app;
  const Outer = Inner;
  const tree = (Root ? h(Root, { ...props, Component: Outer }) : h(Outer, null)) as VNode;
  const { result: body, islands } = collectIslands(() => renderToString(tree));
  let html = "<!DOCTYPE html>" + body;
  if (islands.size > 0) {
    const preloads = [input.assets.bootUrl, ...[...islands].map(input.assets.islandUrl)]
      .map((src) => `<link rel="modulepreload" href="${src}">`).join("");
    const script = `<script type="module" src="${input.assets.bootUrl}"></script>`;
    html = insertBefore(html, "</head>", preloads);
    html = insertBefore(html, "</body>", script);
  }
  return html;
}

function insertBefore(html: string, marker: string, text: string): string {
  const at = html.lastIndexOf(marker);
  return at === -1 ? html + text : html.slice(0, at) + text + html.slice(at);
}
