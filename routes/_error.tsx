import type { PageProps } from "@/lib/web/define.ts";
import { Logo } from "@/components/Logo.tsx";

interface ErrorData {
  status: number;
  code: string;
  message: string;
}

export default function ErrorPage({ data }: PageProps<ErrorData>) {
  const heading = data.status === 404
    ? "Page not found"
    : data.status >= 500
    ? "Something went wrong"
    : "That did not work";
  return (
    <main class="auth">
      <div class="auth-card">
        <a href="/" class="auth-brand">
          <Logo />
        </a>
        <p class="error-status">{data.status}</p>
        <h1>{heading}</h1>
        <p>{data.message}</p>
        <p>
          <a href="/">Back to the overview</a>
        </p>
      </div>
    </main>
  );
}
