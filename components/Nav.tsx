/** A dashboard section; `admin` ones are hidden from other users (their pages answer 403). */
export interface NavItem {
  href: string;
  label: string;
  admin?: boolean;
}

/** The dashboard's sections, in the order the navigation shows them. */
export const NAV_ITEMS: readonly NavItem[] = [
  { href: "/", label: "Overview" },
  { href: "/nodes", label: "Nodes" },
  { href: "/workloads", label: "Workloads" },
  { href: "/pools", label: "Pools", admin: true },
  { href: "/approvals", label: "Approvals", admin: true },
  { href: "/leaderboard", label: "Leaderboard" },
  { href: "/join", label: "Join", admin: true },
  { href: "/settings", label: "Settings" },
  { href: "/audit", label: "Audit log", admin: true },
];

/** The sections `admin` (or not) may open. */
export function navItems(admin: boolean): NavItem[] {
  return NAV_ITEMS.filter((item) => admin || !item.admin);
}

/** True when `href` is the section `path` belongs to. */
export function isCurrent(href: string, path: string): boolean {
  return href === "/" ? path === "/" : path === href || path.startsWith(href + "/");
}

interface NavProps {
  path: string;
  admin: boolean;
  /** Nodes waiting for approval, shown beside Approvals when above zero. */
  pendingApprovals?: number;
}

function NavList(props: NavProps) {
  return (
    <ul>
      {navItems(props.admin).map((item) => (
        <li key={item.href}>
          <a
            href={item.href}
            aria-current={isCurrent(item.href, props.path) ? "page" : undefined}
          >
            {item.label}
            {item.href === "/approvals" && (props.pendingApprovals ?? 0) > 0 && (
              <span class="nav-count" data-testid="nav-pending">
                <span aria-hidden="true">{props.pendingApprovals}</span>
                <span class="visually-hidden">{` (${props.pendingApprovals} waiting)`}</span>
              </span>
            )}
          </a>
        </li>
      ))}
    </ul>
  );
}

/** Primary navigation for the sidebar (wide screens); the current section is marked. */
export function Nav(props: NavProps) {
  return (
    <nav class="nav" aria-label="Main">
      <NavList {...props} />
    </nav>
  );
}

/**
 * The same navigation as a disclosure menu for narrow screens, without JavaScript: a
 * <details> whose summary names the current section.
 */
export function NavMenu(props: NavProps) {
  const current = navItems(props.admin).find((i) => isCurrent(i.href, props.path));
  return (
    <details class="nav-menu">
      <summary>
        <span aria-hidden="true" class="nav-menu-icon"></span>
        Menu{current && <span class="nav-menu-current">{current.label}</span>}
      </summary>
      <nav class="nav" aria-label="Main">
        <NavList {...props} />
      </nav>
    </details>
  );
}
