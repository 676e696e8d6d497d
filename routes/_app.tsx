import type { LayoutProps } from "@/lib/web/define.ts";

export default function App({ Component, state }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        {state.csrfToken && <meta name="csrf-token" content={state.csrfToken} />}
        <title>{state.title}</title>
        <link rel="icon" type="image/svg+xml" href={state.asset("/favicon.svg")} />
        <link rel="stylesheet" href={state.asset("/styles.css")} />
      </head>
      <body>
        <Component />
      </body>
    </html>
  );
}
