/** Image references and the owner's glob-ish image patterns ("postgres:*", "docker.io/library/*"). */
/**
 * Spell out what Docker implies: "redis" → "docker.io/library/redis:latest". References that
 * already carry a registry, a tag or a digest keep them.
 */
export function normaliseImageReference(reference: string): string {
  const slash = reference.indexOf("/");
  const first = slash === -1 ? "" : reference.slice(0, slash);
  const hasRegistry = first.includes(".") || first.includes(":") || first === "localhost";
  const full = hasRegistry
    ? reference
    : slash === -1
    ? `docker.io/library/${reference}`
    : `docker.io/${reference}`;
  const name = full.slice(full.lastIndexOf("/") + 1);
  return name.includes(":") || name.includes("@") ? full : `${full}:latest`;
}

/**
 * Whether an image reference matches an owner's pattern, where `*` stands for any text. Both are
 * compared as written and fully spelled out, so "postgres:*" also matches
 * "docker.io/library/postgres:16", and a digest counts as a tag ("postgres@sha256:…").
 */
export function imageMatches(image: string, pattern: string): boolean {
  const normalised = normaliseImageReference(image);
  const candidates = [image, normalised, normalised.replace("@", ":")];
  const patterns = [globToRegex(pattern)];
  // A leading "*" already matches any registry; spelling it out would anchor it to docker.io.
  if (!pattern.startsWith("*")) patterns.push(globToRegex(normalisePattern(pattern)));
  return candidates.some((candidate) => patterns.some((regex) => regex.test(candidate)));
}

function normalisePattern(pattern: string): string {
  // Untagged patterns mean "this repository, any tag" rather than ":latest" only.
  const normalised = normaliseImageReference(pattern);
  return normalised.endsWith(":latest") && !pattern.endsWith(":latest")
    ? normalised.slice(0, -":latest".length) + (pattern.endsWith("*") ? "" : ":*")
    : normalised;
}

function globToRegex(pattern: string): RegExp {
  const parts = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`);
}
