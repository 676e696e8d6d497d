import type { PageHandlers } from "@/lib/web/define.ts";
import { DownloadName, findDownload } from "@/lib/agents/downloads.ts";
import { NotFoundError } from "@/lib/errors.ts";

// One agent download (a compiled binary or the Deno bundle) for the installers. Public: the
// files hold no secrets. Revalidated on every fetch, so a new release is picked up.
export const handler: PageHandlers = {
  async GET(c) {
    const name = DownloadName.safeParse(c.req.param("file"));
    const download = name.success ? await findDownload(name.data) : null;
    if (!download) {
      throw new NotFoundError(
        `No download called "${c.req.param("file")}": see /downloads/SHA256SUMS for the list`,
      );
    }
    const body = await download.open();
    return c.body(body as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": download.contentType,
      "Content-Length": String(download.size),
      "Content-Disposition": `attachment; filename="${download.name}"`,
      "Cache-Control": "no-cache",
      "X-Checksum-Sha256": download.sha256,
    });
  },
};
