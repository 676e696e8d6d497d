/** What a file under routes/ is, by its name. */
export type RouteFileKind = "app" | "layout" | "middleware" | "error" | "route";

/** A file under routes/, classified, with the URL pattern it serves. */
export interface RouteFile {
  /** Path relative to routes/, with forward slashes: "(dashboard)/nodes/[id].tsx". */
  rel: string;
  kind: RouteFileKind;
  /** Directories from routes/ down to the file's own, as relative paths ("" is routes/). */
  dirs: string[];
  /** Hono pattern, e.g. "/nodes/:id". Only for kind "route". */
  pattern: string;
  /** OpenAPI path, e.g. "/nodes/{id}". Only for kind "route". */
  openApiPath: string;
}

const ROUTE_EXT = /\.(tsx|ts|jsx|js)$/;

/** Classify one routes/ file; null when the file is not part of routing (tests, dotfiles). */
export function classifyRouteFile(rel: string): RouteFile | null {
  if (!ROUTE_EXT.test(rel) || /_test\.(tsx|ts|jsx|js)$/.test(rel)) return null;
  const parts = rel.split("/");
  const base = parts[parts.length - 1].replace(ROUTE_EXT, "");
  const dirs = [""];
  for (let i = 0; i < parts.length - 1; i++) dirs.push(parts.slice(0, i + 1).join("/"));
  // Folders in parentheses group files without adding to the URL; "(_…)" ones are not routed.
  if (parts.slice(0, -1).some((p) => p.startsWith("(_") || p.startsWith("."))) return null;
  const special: Record<string, RouteFileKind> = {
    _app: "app",
    _layout: "layout",
    _middleware: "middleware",
    _error: "error",
  };
  if (base.startsWith("_")) {
    const kind = special[base];
    return kind ? { rel, kind, dirs, pattern: "", openApiPath: "" } : null;
  }
  const honoSegs: string[] = [];
  const apiSegs: string[] = [];
  const segs = [...parts.slice(0, -1), base];
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    if (/^\(.+\)$/.test(seg)) continue;
    if (seg === "index" && i === segs.length - 1) continue;
    const rest = /^\[\.\.\.([A-Za-z_][A-Za-z0-9_]*)\]$/.exec(seg);
    const param = /^\[([A-Za-z_][A-Za-z0-9_]*)\]$/.exec(seg);
    if (rest) {
      honoSegs.push(`:${rest[1]}{.+}`);
      apiSegs.push(`{${rest[1]}}`);
    } else if (param) {
      honoSegs.push(`:${param[1]}`);
      apiSegs.push(`{${param[1]}}`);
    } else if (/^[A-Za-z0-9._~-]+$/.test(seg)) {
      honoSegs.push(seg);
      apiSegs.push(seg);
    } else {
      throw new Error(`Route file ${rel}: segment "${seg}" is not a valid URL segment or [param]`);
    }
  }
  return {
    rel,
    kind: "route",
    dirs,
    pattern: "/" + honoSegs.join("/"),
    openApiPath: "/" + apiSegs.join("/"),
  };
}

function segmentRank(seg: string): number {
  if (seg.endsWith("{.+}")) return 2;
  return seg.startsWith(":") ? 1 : 0;
}

/** Order routes so that static segments win over parameters, and parameters over catch-alls. */
export function compareRoutes(a: RouteFile, b: RouteFile): number {
  const as = a.pattern.split("/").slice(1);
  const bs = b.pattern.split("/").slice(1);
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const d = segmentRank(as[i]) - segmentRank(bs[i]);
    if (d !== 0) return d;
  }
  if (as.length !== bs.length) return as.length - bs.length;
  return a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0;
}

/** Walk `dir` and return every file's path relative to it, with forward slashes, sorted. */
export async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) out.push(...await listFiles(`${dir}/${entry.name}`, rel));
    else if (entry.isFile) out.push(rel);
  }
  return out.sort();
}
