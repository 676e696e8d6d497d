// Test images without a registry: a busybox image built from the host's static busybox and
// imported through the Docker client, so no pull is ever needed.

import type { DockerClient } from "../../agent/docker/mod.ts";

const BUSYBOX = "/bin/busybox";

/** What /www/index.html of the test image says (httpd tests fetch it). */
export const BUSYBOX_INDEX_HTML = "lattice busybox\n";

/**
 * Make sure `ref` exists: if it is missing, build a root filesystem from the host's static
 * /bin/busybox (Debian's busybox-static) with its applets linked in /bin, /tmp, /www and an
 * /etc/passwd with root and nobody, and import it with CMD ["sh"]. Returns `ref`.
 */
export async function ensureBusyboxImage(
  docker: DockerClient,
  ref = "lattice-test/busybox:1",
): Promise<string> {
  if (await docker.imageInspect(ref)) return ref;
  const colon = ref.lastIndexOf(":");
  if (colon <= ref.lastIndexOf("/")) throw new Error(`Give the test image a tag: ${ref}`);
  const binary = await readStaticBusybox();
  const dir = await Deno.makeTempDir({ prefix: "lattice-busybox-" });
  try {
    await buildRootfs(dir, binary);
    await importDir(docker, dir, ref.slice(0, colon), ref.slice(colon + 1));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return ref;
}

async function readStaticBusybox(): Promise<Uint8Array> {
  let binary: Uint8Array;
  try {
    binary = await Deno.readFile(BUSYBOX);
  } catch (err) {
    throw new Error(
      `Cannot build the busybox test image: ${BUSYBOX} is missing (${(err as Error).message}). ` +
        "Install it with `apt-get install -y busybox-static` (scripts/provision.sh does).",
    );
  }
  // A dynamically linked busybox would not run in an image without a libc.
  if (new TextDecoder("latin1").decode(binary).includes("/ld-linux")) {
    throw new Error(
      `Cannot build the busybox test image: ${BUSYBOX} is dynamically linked. ` +
        "Install the static build with `apt-get install -y busybox-static`.",
    );
  }
  return binary;
}

async function buildRootfs(dir: string, binary: Uint8Array): Promise<void> {
  for (const sub of ["bin", "etc", "tmp", "www", "root"]) await Deno.mkdir(`${dir}/${sub}`);
  await Deno.chmod(`${dir}/tmp`, 0o1777);
  await Deno.writeFile(`${dir}/bin/busybox`, binary, { mode: 0o755 });
  const list = await new Deno.Command(BUSYBOX, { args: ["--list"], stdout: "piped" }).output();
  if (!list.success) throw new Error(`\`${BUSYBOX} --list\` failed; is it a working busybox?`);
  const applets = new TextDecoder().decode(list.stdout).split("\n")
    .map((name) => name.trim())
    .filter((name) => name !== "" && name !== "busybox" && !name.includes("/"));
  for (const name of new Set(applets)) await Deno.symlink("busybox", `${dir}/bin/${name}`);
  await Deno.writeTextFile(
    `${dir}/etc/passwd`,
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
  );
  await Deno.writeTextFile(`${dir}/etc/group`, "root:x:0:\nnobody:x:65534:\n");
  await Deno.writeTextFile(`${dir}/www/index.html`, BUSYBOX_INDEX_HTML);
}

async function importDir(docker: DockerClient, dir: string, repo: string, tag: string) {
  const tar = new Deno.Command("tar", {
    args: ["-C", dir, "--numeric-owner", "--owner=0", "--group=0", "-c", "."],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(tar.stderr).text();
  try {
    await docker.imageImport(tar.stdout, { repo, tag, changes: ['CMD ["sh"]'] });
  } catch (err) {
    try {
      tar.kill();
    } catch {
      // Already exited.
    }
    await tar.status;
    await stderr;
    throw err;
  }
  const status = await tar.status;
  if (!status.success) throw new Error(`tar -C ${dir} -c . failed: ${await stderr}`);
  await stderr;
}
