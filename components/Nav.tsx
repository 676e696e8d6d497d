/** The dashboard's sections, in the order the sidebar shows them. */
export const NAV_ITEMS = [
  { href: "/", label: "Overview" },
  { href: "/nodes", label: "Nodes" },
  { href: "/workloads", label: "Workloads" },
  { href: "/pools", label: "Pools" },
  { href: "/approvals", label: "Approvals" },
  { href: "/alerts", label: "Alerts" },
  { href: "/settings", label: "Settings" },
];

/** The admin-only sections. */
export const ADMIN_NAV_ITEMS = [{ href: "/audit", label: "Audit log" }];

function isCurrent(href: string, path: string): boolean {
  return href === "/" ? path === "/" : path === href || path.startsWith(href + "/");
}

/** Primary navigation; the current section is marked for screen readers and styling. */
export function Nav(props: { path: string; admin: boolean }) {
  const items = props.admin ? [...NAV_ITEMS, ...ADMIN_NAV_ITEMS] : NAV_ITEMS;
  return (
    <nav class="nav" aria-label="Main">
      <ul>
        {items.map((item) => (
          <li key={item.href}>
            <a
              href={item.href}
              aria-current={isCurrent(item.href, props.path) ? "page" : undefined}
            >
              {item.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
