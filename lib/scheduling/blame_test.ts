import assert from "node:assert/strict";
import { deployBlame } from "./blame.ts";

Deno.test("a missing or refused image, a bad spec and the owner's policy are not the node's fault", () => {
  const workload: [string, string][] = [
    ["pull_failed", "manifest for nosuch/image:latest not found: manifest unknown"],
    ["pull_failed", "pull access denied for private/thing, repository does not exist"],
    ["pull_failed", "Head https://registry-1.docker.io/v2/x/manifests/y: unauthorized"],
    ["pull_failed", "invalid reference format: repository name must be lowercase"],
    ["no_such_image", "No such image: busybox:nope"],
    ["not_found", "pull access denied for nosuch, repository does not exist or may require login"],
    ["bad_request", "invalid mount config"],
    ["policy_refused", "privileged containers are not allowed"],
  ];
  for (const [code, message] of workload) {
    assert.equal(deployBlame(code, message), "workload", `${code}: ${message}`);
  }
});

Deno.test("Docker down, timeouts, Docker's own errors and failing networks are the node's", () => {
  const node: [string, string][] = [
    ["docker_unavailable", "Docker is not reachable"],
    ["daemon_down", "connection refused"],
    ["timeout", "the deploy took longer than 120 s"],
    ["server_error", "failed to create shim task"],
    ["port_allocated", "port is already allocated"],
    ["pull_failed", "Get https://registry-1.docker.io/v2/: dial tcp: i/o timeout"],
    ["pull_failed", "write /var/lib/docker/tmp/x: no space left on device"],
    ["agent_error", "something broke"],
  ];
  for (const [code, message] of node) {
    assert.equal(deployBlame(code, message), "node", `${code}: ${message}`);
  }
});
