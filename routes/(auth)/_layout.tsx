import type { LayoutProps } from "@/lib/web/define.ts";
import { Logo } from "@/components/Logo.tsx";

export default function AuthLayout({ Component }: LayoutProps) {
  return (
    <main class="auth">
      <div class="auth-card">
        <a href="/" class="auth-brand">
          <Logo />
        </a>
        <Component />
      </div>
    </main>
  );
}
