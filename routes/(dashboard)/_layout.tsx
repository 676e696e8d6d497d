import type { LayoutProps } from "@/lib/web/define.ts";
import { Logo } from "@/components/Logo.tsx";
import { Nav, NavMenu } from "@/components/Nav.tsx";
import { CsrfField } from "@/components/Field.tsx";

export default function DashboardLayout({ Component, state, url }: LayoutProps) {
  const user = state.principal!;
  const nav = {
    path: url.pathname,
    admin: user.role === "admin",
    pendingApprovals: state.pendingApprovals,
  };
  return (
    <div class="shell">
      <a class="skip-link" href="#main">Skip to content</a>
      <header class="topbar">
        <a href="/" class="topbar-brand">
          <Logo />
        </a>
        <NavMenu {...nav} />
        <div class="topbar-user">
          <span class="user-email" data-testid="user-email">{user.email}</span>
          <span class={`badge badge-${user.role}`}>{user.role}</span>
          <form method="post" action="/logout" class="inline-form">
            <CsrfField token={state.csrfToken} />
            <button type="submit" class="button button-quiet">Sign out</button>
          </form>
        </div>
      </header>
      <aside class="sidebar">
        <Nav {...nav} />
      </aside>
      <main id="main" class="content" tabIndex={-1}>
        <Component />
      </main>
    </div>
  );
}
