import type { PageHandlers } from "@/lib/web/define.ts";
import { INSTALL_SCRIPTS, installScript } from "@/lib/agents/install_scripts.ts";

// The one-line installer for Windows PowerShell
// (`& ([scriptblock]::Create((irm <server>/install.ps1))) -Token T`), with this server's public
// URL baked in. Public: it holds no secrets.
export const handler: PageHandlers = {
  async GET(c) {
    const script = await installScript("ps1", c.get("app").config.publicUrl);
    return c.body(script, 200, {
      "Content-Type": INSTALL_SCRIPTS.ps1.contentType,
      "Cache-Control": "no-cache",
    });
  },
};
