// Debian's real Chromium driven by playwright-core, plus a watch for what goes wrong in pages.
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/** Flags for a quiet headless Chromium in a container. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
];

/**
 * The Chromium executable from LATTICE_TEST_CHROMIUM. Throws (so the test fails, never skips)
 * when it is unset or names no file.
 */
export function chromiumPath(): string {
  const path = Deno.env.get("LATTICE_TEST_CHROMIUM");
  const fix = 'Run the tests with: eval "$(bash scripts/provision.sh)" && deno test -A ' +
    "(it installs Debian's chromium and sets LATTICE_TEST_CHROMIUM=/usr/bin/chromium).";
  if (!path) throw new Error(`LATTICE_TEST_CHROMIUM is not set. ${fix}`);
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch {
    throw new Error(`LATTICE_TEST_CHROMIUM=${path} does not exist. ${fix}`);
  }
  if (!info.isFile) throw new Error(`LATTICE_TEST_CHROMIUM=${path} is not a file. ${fix}`);
  return path;
}

/** Launch the real Chromium (never a downloaded one). */
export async function launchChromium(): Promise<Browser> {
  return await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
}

/** Something that went wrong in a page: a console error, an uncaught error, a CSP violation. */
export interface PageProblem {
  kind: "console" | "pageerror" | "csp";
  pageUrl: string;
  text: string;
  /** Where the browser said it happened (console messages only). */
  location?: string;
}

/**
 * Record console errors, uncaught exceptions and Content-Security-Policy violations of every
 * document `page` shows. CSP violations are caught twice: Chromium logs them as console
 * errors, and a `securitypolicyviolation` listener (installed through the DevTools protocol,
 * so the policy does not block it and it adds no <script> element) reports them directly.
 */
export async function watchProblems(page: Page, problems: PageProblem[]): Promise<void> {
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const loc = msg.location();
    problems.push({
      kind: "console",
      pageUrl: page.url(),
      text: msg.text(),
      location: loc.url ? `${loc.url}:${loc.lineNumber}` : undefined,
    });
  });
  page.on("pageerror", (err) => {
    problems.push({ kind: "pageerror", pageUrl: page.url(), text: String(err.stack ?? err) });
  });
  await page.exposeBinding("__latticeReportCsp", (_source, text: string) => {
    problems.push({ kind: "csp", pageUrl: page.url(), text });
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      // deno-lint-ignore no-explicit-any
      (globalThis as any).__latticeReportCsp(
        `${e.violatedDirective} blocked ${
          e.blockedURI || "inline"
        } (${e.sourceFile}:${e.lineNumber})`,
      );
    });
  });
}

/** Human-readable list of problems for an assertion message. */
export function describeProblems(problems: PageProblem[]): string {
  return problems.map((p) =>
    `- [${p.kind}] on ${p.pageUrl}: ${p.text}${p.location ? ` (at ${p.location})` : ""}`
  ).join("\n");
}

/** A new browser context signed in to the dashboard at `url` through its login form. */
export async function signedInPage(
  browser: Browser,
  url: string,
  who: { email: string; password: string },
  options: {
    viewport?: { width: number; height: number };
    colorScheme?: "light" | "dark";
    /** Where console errors, uncaught errors and CSP violations go (not watched without). */
    problems?: PageProblem[];
    timeoutMs?: number;
  } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const viewport = options.viewport ?? { width: 1280, height: 800 };
  const context = await browser.newContext({
    viewport,
    colorScheme: options.colorScheme ?? "light",
    isMobile: viewport.width < 500,
    hasTouch: viewport.width < 500,
  });
  context.setDefaultTimeout(options.timeoutMs ?? 20_000);
  const page = await context.newPage();
  if (options.problems) await watchProblems(page, options.problems);
  await page.goto(`${url}/login`);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${url}/`);
  return { context, page };
}
