/**
 * The one-line installers `/install.sh` and `/install.ps1`: plain script files in
 * lib/agents/install/, read once, with the server's public URL put in place of one placeholder.
 */
const DIR = new URL("./install/", import.meta.url);

/** What the templates hold where the server's URL goes. */
export const SERVER_PLACEHOLDER = "__LATTICE_SERVER_URL__";

/** The installer kinds, with their file and content type. */
export const INSTALL_SCRIPTS = {
  sh: { file: "install.sh", contentType: "text/x-shellscript; charset=utf-8" },
  ps1: { file: "install.ps1", contentType: "text/plain; charset=utf-8" },
} as const;
export type InstallScriptKind = keyof typeof INSTALL_SCRIPTS;

/**
 * The template with `serverUrl` in place. The URL is baked into a single-quoted string in both
 * languages, so it may only hold characters that cannot end the quote or start an expansion.
 */
export function renderInstallScript(template: string, serverUrl: string): string {
  const url = serverUrl.replace(/\/+$/, "");
  if (!/^https?:\/\/[A-Za-z0-9.\-_~:[\]@%/]+$/.test(url)) {
    throw new Error(
      `Cannot build the installer: the public URL "${serverUrl}" has characters a script ` +
        "cannot quote safely. Set LATTICE_PUBLIC_URL to a plain http(s) URL.",
    );
  }
  if (!template.includes(SERVER_PLACEHOLDER)) {
    throw new Error(`The installer template has no ${SERVER_PLACEHOLDER} placeholder`);
  }
  return template.replaceAll(SERVER_PLACEHOLDER, url);
}

const templates = new Map<InstallScriptKind, Promise<string>>();

/** The installer of `kind` for a server at `serverUrl` (its template read once per process). */
export async function installScript(
  kind: InstallScriptKind,
  serverUrl: string,
): Promise<string> {
  let template = templates.get(kind);
  if (!template) {
    template = Deno.readTextFile(new URL(INSTALL_SCRIPTS[kind].file, DIR));
    template.catch(() => templates.delete(kind));
    templates.set(kind, template);
  }
  return renderInstallScript(await template, serverUrl);
}
