import type { PageHandlers } from "@/lib/web/define.ts";
import { listDownloads, sha256sums } from "@/lib/agents/downloads.ts";

// The checksums of every agent download, in `sha256sum` format: the installers pick their file
// from this list and check it against it. Public, like the downloads.
export const handler: PageHandlers = {
  async GET(c) {
    return c.text(sha256sums(await listDownloads()), 200, { "Cache-Control": "no-cache" });
  },
};
