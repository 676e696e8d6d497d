import assert from "node:assert/strict";
import { errorsFromApi, readDeployForm, rowIds } from "./deploy_form.ts";
import { issueDetails, WorkloadSpec } from "./spec.ts";

/** Read the form, validate it as the API does, and give the errors by input name. */
function validate(values: Record<string, string>): {
  spec: WorkloadSpec | null;
  errors: Record<string, string>;
} {
  const form = readDeployForm(values);
  const parsed = WorkloadSpec.safeParse(form.input);
  if (parsed.success) return { spec: parsed.data, errors: {} };
  return {
    spec: null,
    errors: errorsFromApi({ message: "bad", details: issueDetails(parsed.error) }, form),
  };
}

Deno.test("readDeployForm() turns a filled Redis form into the spec the API stores", () => {
  const { spec, errors } = validate({
    template: "redis",
    name: " cache ",
    image: "",
    cpuMillicores: "500",
    memoryMiB: "",
    diskGiB: "2",
    gpus: "",
    replicas: "2",
    pool: "edge",
    "env.0.key": "LOG_LEVEL",
    "env.0.value": "debug",
    "env.3.key": "",
    "env.3.value": "",
    "constraints.1.label": "region",
    "constraints.1.operator": "in",
    "constraints.1.value": "eu, us",
    "constraints.2.label": "ssd",
    "constraints.2.operator": "exists",
    "constraints.2.value": "",
    // Ports belong to custom images only.
    "ports.0.container": "8080",
    "ports.0.protocol": "tcp",
  });
  assert.deepEqual(errors, {});
  assert.ok(spec);
  assert.equal(spec.name, "cache");
  assert.equal(spec.image, "redis:7");
  assert.deepEqual(spec.resources, { cpuMillicores: 500, memoryMiB: 256, diskGiB: 2, gpus: 0 });
  assert.equal(spec.replicas, 2);
  assert.equal(spec.pool, "edge");
  assert.deepEqual(spec.env, { LOG_LEVEL: "debug" });
  assert.deepEqual(spec.constraints, [
    { label: "region", operator: "in", values: ["eu", "us"] },
    { label: "ssd", operator: "exists" },
  ]);
  assert.deepEqual(spec.ports, []);
});

Deno.test("the API's validation details land next to the inputs they are about", () => {
  const { errors } = validate({
    template: "custom",
    name: "my app",
    image: "",
    memoryMiB: "8",
    replicas: "0",
    "env.0.key": "OK",
    "env.0.value": "1",
    "env.5.key": "1BAD",
    "env.5.value": "x",
    "constraints.0.label": "",
    "constraints.0.value": "",
    "constraints.4.label": "zone",
    "constraints.4.operator": "=",
    "constraints.4.value": "",
    "ports.2.container": "70000",
    "ports.2.protocol": "tcp",
  });
  assert.match(errors.name, /must be a DNS label/);
  assert.match(errors.image, /is required when template is custom/);
  assert.match(errors.memoryMiB, /from 16 to 262144 MiB/);
  assert.match(errors.replicas, /from 1 to 100/);
  assert.match(errors["env.5.key"], /environment variable name/);
  assert.equal(errors["constraints.4.value"], undefined, "an empty value is a value");
  assert.match(errors["ports.2.container"], /from 1 to 65535/);
  assert.equal(errors._form, undefined);
});

Deno.test("a constraint without its value, and text where a number belongs, are named in words", () => {
  const { errors } = validate({
    template: "postgres",
    name: "db",
    cpuMillicores: "lots",
    "constraints.7.label": "zone",
    "constraints.7.operator": "in",
    "constraints.7.value": " , ",
  });
  assert.match(errors.cpuMillicores, /whole number/);
  assert.match(errors["constraints.7.value"], /at least one value/);
});

Deno.test("errorsFromApi() puts a conflict next to its field and anything else on the form", () => {
  const form = readDeployForm({ name: "db" });
  assert.deepEqual(
    errorsFromApi(
      { message: "You already have a workload named db", details: { field: "name" } },
      form,
    ),
    { name: "You already have a workload named db" },
  );
  assert.deepEqual(errorsFromApi({ message: "Too many requests", details: null }, form), {
    _form: "Too many requests",
  });
});

Deno.test("rowIds() lists a group's rows in order, whatever ids removals left", () => {
  assert.deepEqual(
    rowIds({ "env.10.key": "", "env.2.value": "", "ports.1.container": "" }, "env"),
    [
      2,
      10,
    ],
  );
});
