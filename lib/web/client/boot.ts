/// <reference lib="dom" />
// Browser entry: hydrate every <lattice-island> the server rendered. Each island's module is
// loaded once, in parallel; one island failing does not stop the others.
import { type ComponentType, h, hydrate } from "preact";

const elements = Array.from(document.querySelectorAll<HTMLElement>("lattice-island"));
const modules = new Map<string, Promise<{ default: ComponentType }>>();

await Promise.all(elements.map(async (el) => {
  const src = el.dataset.src!;
  if (!modules.has(src)) modules.set(src, import(src));
  try {
    const mod = await modules.get(src)!;
    hydrate(h(mod.default, JSON.parse(el.dataset.props ?? "{}")), el);
    el.dataset.hydrated = "true";
  } catch (err) {
    console.error(`Island ${el.dataset.island} failed to start`, err);
  }
}));
