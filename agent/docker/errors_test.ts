import assert from "node:assert/strict";
import {
  codeForStatus,
  DockerDaemonDown,
  type DockerErrorCode,
  errorFromFetchFailure,
  isDockerError,
} from "./errors.ts";

// Messages as Docker Engine 20.10 sends them.
const statusCases: { status: number; message: string; want: DockerErrorCode }[] = [
  { status: 404, message: "No such image: nope:1", want: "no_such_image" },
  { status: 404, message: "no such image: nope:1: No such image: nope:1", want: "no_such_image" },
  { status: 404, message: "No such container: nope", want: "no_such_container" },
  { status: 404, message: "get nope: no such volume", want: "no_such_volume" },
  { status: 404, message: "network nope not found", want: "no_such_network" },
  { status: 404, message: "page not found", want: "not_found" },
  {
    status: 409,
    message:
      'Conflict. The container name "/web" is already in use by container "0a1b". You have to remove (or rename) that container to be able to reuse that name.',
    want: "name_conflict",
  },
  { status: 409, message: "Container 0a1b is not running", want: "conflict" },
  { status: 409, message: "remove v: volume is in use - [0a1b]", want: "conflict" },
  {
    status: 500,
    message:
      "driver failed programming external connectivity on endpoint web (0a1b): Bind for 127.0.0.1:8080 failed: port is already allocated",
    want: "port_allocated",
  },
  {
    status: 500,
    message: "listen tcp4 127.0.0.1:8080: bind: address already in use",
    want: "port_allocated",
  },
  { status: 500, message: "OCI runtime create failed", want: "server_error" },
  { status: 400, message: "client version 1.99 is too new", want: "bad_request" },
];

for (const c of statusCases) {
  Deno.test(`codeForStatus() maps ${c.status} "${c.message.slice(0, 40)}…" to ${c.want}`, () => {
    assert.equal(codeForStatus(c.status, c.message), c.want);
  });
}

/** A fetch failure shaped the way Deno 2.9 reports one. */
function fetchFailure(os: string): TypeError {
  return new TypeError("fetch failed", {
    cause: new Error(
      `error sending request for url (http://docker/_ping): client error (Connect): ${os}`,
    ),
  });
}

Deno.test("errorFromFetchFailure() says Docker is down when the socket is missing or refuses", () => {
  for (
    const os of ["No such file or directory (os error 2)", "Connection refused (os error 111)"]
  ) {
    const err = errorFromFetchFailure(fetchFailure(os), "/var/run/docker.sock");
    assert.ok(err instanceof DockerDaemonDown);
    assert.ok(isDockerError(err, "daemon_down"));
    assert.equal(
      err.message,
      `Cannot reach Docker at /var/run/docker.sock: ${os}. ` +
        "Start Docker (e.g. `sudo systemctl start docker`) or set DOCKER_HOST.",
    );
  }
});

Deno.test("errorFromFetchFailure() tells the user to join the docker group on EACCES", () => {
  const err = errorFromFetchFailure(
    fetchFailure("Permission denied (os error 13)"),
    "/var/run/docker.sock",
  );
  assert.ok(isDockerError(err, "permission_denied"));
  assert.match(err.message, /Permission denied \(os error 13\)/);
  assert.match(err.message, /`docker` group/);
});

Deno.test("isDockerError() checks the class and, when given, the code", () => {
  const err = errorFromFetchFailure(fetchFailure("x (os error 111)"), "/s");
  assert.equal(isDockerError(err), true);
  assert.equal(isDockerError(err, "daemon_down"), true);
  assert.equal(isDockerError(err, "conflict"), false);
  assert.equal(isDockerError(new Error("daemon_down")), false);
});
