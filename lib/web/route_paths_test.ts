import assert from "node:assert/strict";
import { classifyRouteFile, compareRoutes, type RouteFile } from "./route_paths.ts";

const CASES: [string, string, string][] = [
  ["index.tsx", "/", "/"],
  ["login.tsx", "/login", "/login"],
  ["(auth)/login.tsx", "/login", "/login"],
  ["(dashboard)/index.tsx", "/", "/"],
  ["api/v1/tokens/index.ts", "/api/v1/tokens", "/api/v1/tokens"],
  ["api/v1/tokens/[id].ts", "/api/v1/tokens/:id", "/api/v1/tokens/{id}"],
  ["nodes/[id]/logs.tsx", "/nodes/:id/logs", "/nodes/{id}/logs"],
  ["files/[...path].ts", "/files/:path{.+}", "/files/{path}"],
  ["healthz.ts", "/healthz", "/healthz"],
];

for (const [file, pattern, openApi] of CASES) {
  Deno.test(`classifyRouteFile() maps ${file} to ${pattern}`, () => {
    const r = classifyRouteFile(file)!;
    assert.equal(r.kind, "route");
    assert.equal(r.pattern, pattern);
    assert.equal(r.openApiPath, openApi);
  });
}

Deno.test("classifyRouteFile() recognises Fresh's special files and their folders", () => {
  assert.equal(classifyRouteFile("_app.tsx")!.kind, "app");
  assert.equal(classifyRouteFile("_error.tsx")!.kind, "error");
  const layout = classifyRouteFile("(dashboard)/_layout.tsx")!;
  assert.equal(layout.kind, "layout");
  assert.deepEqual(layout.dirs, ["", "(dashboard)"]);
  assert.equal(classifyRouteFile("api/_middleware.ts")!.kind, "middleware");
});

Deno.test("classifyRouteFile() ignores tests, non-code, unknown _files and (_private) folders", () => {
  assert.equal(classifyRouteFile("login_test.ts"), null);
  assert.equal(classifyRouteFile("README.md"), null);
  assert.equal(classifyRouteFile("_helpers.ts"), null);
  assert.equal(classifyRouteFile("(_components)/Card.tsx"), null);
});

Deno.test("classifyRouteFile() refuses segments that are not URL-safe", () => {
  assert.throws(() => classifyRouteFile("bad name.tsx"), /not a valid URL segment/);
});

Deno.test("compareRoutes() puts static segments before parameters and catch-alls", () => {
  const routes = ["files/[...path].ts", "tokens/[id].ts", "tokens/new.tsx", "tokens/index.ts"]
    .map((f) => classifyRouteFile(f) as RouteFile);
  const order = routes.sort(compareRoutes).map((r) => r.pattern);
  assert.deepEqual(order, ["/tokens", "/tokens/new", "/tokens/:id", "/files/:path{.+}"]);
});
