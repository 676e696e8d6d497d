// The service images the templates name (postgres:16, redis:7), built locally because no
// registry is reachable: one Debian root filesystem made by debootstrap and cached on disk, then
// imported once per tag with an entrypoint that keeps the official image's environment contract.

import type { DockerClient } from "../../agent/docker/mod.ts";

/** The images `ensureServiceImage` can build: the tags the postgres and redis templates use. */
export type ServiceImage = "postgres:16" | "redis:7";

/** Where the root filesystem is cached between runs; override with LATTICE_TEST_CACHE_DIR. */
const CACHE_DIR = Deno.env.get("LATTICE_TEST_CACHE_DIR") ?? "/var/cache/lattice-test";
const ROOTFS = `${CACHE_DIR}/rootfs-bookworm`;
const MIRROR = "http://deb.debian.org/debian";
const DEBOOTSTRAP_ARGS = [
  "--variant=minbase",
  "--include=postgresql-15,redis-server",
  "bookworm",
];
/**
 * Removed after debootstrap, about a quarter of the tree: documentation, translations, and the
 * cluster Debian's postinst creates (the entrypoint makes its own in $PGDATA).
 */
const TRIMMED = [
  "usr/share/doc",
  "usr/share/man",
  "usr/share/info",
  "usr/share/locale",
  "var/lib/postgresql/15",
  "etc/postgresql/15",
];
/** Image label holding the recipe's hash, so a changed entrypoint or rootfs gets rebuilt. */
const RECIPE_LABEL = "lattice.test-image.recipe";
/** debootstrap takes about 40 s here; this bounds a hung mirror, not a slow one. */
const DEBOOTSTRAP_TIMEOUT_MS = 15 * 60_000;
const IMPORT_TIMEOUT_MS = 10 * 60_000;
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

interface ImageRecipe {
  entrypoint: string;
  changes: string[];
}

const RECIPES: Record<ServiceImage, ImageRecipe> = {
  "postgres:16": {
    entrypoint: "postgres_entrypoint.sh",
    changes: [
      `ENV PATH=/usr/lib/postgresql/15/bin:${PATH}`,
      "ENV PGDATA=/var/lib/postgresql/data",
      "ENV LANG=C.UTF-8",
      "VOLUME /var/lib/postgresql/data",
      "EXPOSE 5432",
      'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]',
      'CMD ["postgres"]',
    ],
  },
  "redis:7": {
    entrypoint: "redis_entrypoint.sh",
    changes: [
      `ENV PATH=${PATH}`,
      "VOLUME /data",
      "WORKDIR /data",
      "EXPOSE 6379",
      'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]',
      'CMD ["redis-server"]',
    ],
  },
};

/**
 * Make sure the image `name` exists locally (it is reused when its recipe label matches),
 * building the cached Debian root filesystem first if needed. Safe to call from test files
 * running at the same time: builders take a lock. Returns `name`.
 */
export async function ensureServiceImage(
  docker: DockerClient,
  name: ServiceImage,
): Promise<string> {
  const recipe = RECIPES[name];
  const entrypoint = await Deno.readTextFile(
    new URL(`service_images/${recipe.entrypoint}`, import.meta.url),
  );
  const hash = await recipeHash([DEBOOTSTRAP_ARGS, TRIMMED, entrypoint, recipe.changes]);
  if (await isCurrent(docker, name, hash)) return name;
  await Deno.mkdir(CACHE_DIR, { recursive: true });
  using lock = await Deno.open(`${ROOTFS}.lock`, { create: true, write: true });
  await lock.lock(true);
  // Another process may have built it while we waited for the lock.
  if (await isCurrent(docker, name, hash)) return name;
  await ensureRootfs();
  await importImage(docker, name, entrypoint, [...recipe.changes, `LABEL ${RECIPE_LABEL}=${hash}`]);
  return name;
}

async function isCurrent(docker: DockerClient, name: string, hash: string): Promise<boolean> {
  const image = await docker.imageInspect(name);
  return image?.Config?.Labels?.[RECIPE_LABEL] === hash;
}

async function recipeHash(parts: unknown[]): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(parts));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return digest.toHex().slice(0, 16);
}

/** Run debootstrap into ROOTFS unless a complete one for the same arguments is there. */
async function ensureRootfs(): Promise<void> {
  const marker = `${ROOTFS}.complete`;
  const wanted = JSON.stringify({ args: DEBOOTSTRAP_ARGS, trimmed: TRIMMED });
  if (await readOrNull(marker) === wanted) return;
  const partial = `${ROOTFS}.partial`;
  // Leftovers of a build that was killed; the lock means nobody else is writing them.
  await Deno.remove(partial, { recursive: true }).catch(ignoreNotFound);
  const log = `${ROOTFS}.log`;
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("debootstrap", {
      args: [...DEBOOTSTRAP_ARGS, partial, MIRROR],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(DEBOOTSTRAP_TIMEOUT_MS),
    }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(
        "Cannot build the service test images: debootstrap is not installed. " +
          "Install it with `apt-get install -y debootstrap` (scripts/provision.sh does).",
      );
    }
    throw err;
  }
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  await Deno.writeTextFile(log, text);
  if (!output.success) {
    throw new Error(
      `Cannot build the service test images: debootstrap exited with ${output.code} ` +
        `(signal ${output.signal ?? "none"}); full log in ${log}:\n${text.slice(-2000)}`,
    );
  }
  for (const path of TRIMMED) await Deno.remove(`${partial}/${path}`, { recursive: true });
  // Package downloads and lists are not needed in the image either.
  for (const dir of ["var/cache/apt/archives", "var/lib/apt/lists"]) {
    for await (const entry of Deno.readDir(`${partial}/${dir}`)) {
      if (entry.isFile) await Deno.remove(`${partial}/${dir}/${entry.name}`);
    }
  }
  await Deno.remove(marker).catch(ignoreNotFound);
  await Deno.remove(ROOTFS, { recursive: true }).catch(ignoreNotFound);
  await Deno.rename(partial, ROOTFS);
  await Deno.writeTextFile(marker, wanted);
}

/** Stream ROOTFS plus the entrypoint into Docker's import as `name`. */
async function importImage(
  docker: DockerClient,
  name: ServiceImage,
  entrypoint: string,
  changes: string[],
): Promise<void> {
  const overlay = await Deno.makeTempDir({ prefix: "lattice-service-image-" });
  try {
    await Deno.mkdir(`${overlay}/usr/local/bin`, { recursive: true });
    await Deno.writeTextFile(`${overlay}/usr/local/bin/docker-entrypoint.sh`, entrypoint, {
      mode: 0o755,
    });
    await Deno.chmod(`${overlay}/usr/local/bin/docker-entrypoint.sh`, 0o755);
    // Numeric owners: the rootfs's postgres and redis users are not the host's.
    const tar = new Deno.Command("tar", {
      args: [
        "--numeric-owner",
        "-c",
        "-C",
        ROOTFS,
        ".",
        "-C",
        overlay,
        "./usr/local/bin/docker-entrypoint.sh",
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(tar.stderr).text();
    const [repo, tag] = name.split(":");
    try {
      await docker.imageImport(tar.stdout, {
        repo,
        tag,
        changes,
        signal: AbortSignal.timeout(IMPORT_TIMEOUT_MS),
      });
    } catch (err) {
      try {
        tar.kill();
      } catch {
        // Already exited.
      }
      await tar.status;
      await stderr;
      throw new Error(`Cannot import ${ROOTFS} as ${name}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const status = await tar.status;
    if (!status.success) throw new Error(`tar -C ${ROOTFS} -c . failed: ${await stderr}`);
    await stderr;
  } finally {
    await Deno.remove(overlay, { recursive: true });
  }
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

function ignoreNotFound(err: unknown): void {
  if (!(err instanceof Deno.errors.NotFound)) throw err;
}
