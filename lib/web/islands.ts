import { type ComponentType, h, options, type VNode } from "preact";

// Server side of islands. A page uses an island like any component; a vnode hook swaps it
// for a wrapper that renders the component inside <lattice-island> with its props and the
// URL of its bundle, so the browser can hydrate exactly those subtrees. Props must be JSON.

// deno-lint-ignore no-explicit-any
type AnyComponent = ComponentType<any>;

const islandNames = new Map<AnyComponent, string>();
let islandSrc: (name: string) => string = () => "";
let used: Set<string> | null = null;
let bypass = false;

interface IslandRootProps {
  name: string;
  component: AnyComponent;
  props: Record<string, unknown>;
}

function IslandRoot({ name, component, props }: IslandRootProps) {
  used?.add(name);
  const { children: _children, ...rest } = props;
  bypass = true;
  const inner = h(component, props);
  bypass = false;
  return h("lattice-island", {
    "data-island": name,
    "data-src": islandSrc(name),
    "data-props": JSON.stringify(rest),
  }, inner);
}

/** Mark `component` as the island called `name` (its file name under islands/). */
export function registerIsland(name: string, component: AnyComponent): void {
  islandNames.set(component, name);
}

/** Install the vnode hook once; `src` maps an island name to its bundle URL. */
export function installIslandHook(src: (name: string) => string): void {
  islandSrc = src;
  // deno-lint-ignore no-explicit-any
  const o = options as any;
  if (o.__latticeIslands) return;
  o.__latticeIslands = true;
  const previous = options.vnode;
  options.vnode = (vnode: VNode) => {
    const name = typeof vnode.type === "function" && !bypass
      ? islandNames.get(vnode.type as AnyComponent)
      : undefined;
    if (name) {
      const props = vnode.props as Record<string, unknown>;
      // deno-lint-ignore no-explicit-any
      const v = vnode as any;
      v.props = { name, component: vnode.type, props };
      v.type = IslandRoot;
    }
    previous?.(vnode);
  };
}

/** Run a synchronous render and report which islands it used. */
export function collectIslands<T>(render: () => T): { result: T; islands: Set<string> } {
  const previous = used;
  used = new Set();
  try {
    const result = render();
    return { result, islands: used };
  } finally {
    used = previous;
  }
}
