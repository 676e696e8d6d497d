import assert from "node:assert/strict";
import {
  DeviceSignInRequest,
  DockerInstallRequest,
  HoursRequest,
  MachineRequest,
  ServiceRequest,
  TokenSignInRequest,
} from "./schemas.ts";

const grid = () => Array.from({ length: 7 }, () => Array(24).fill(true));

Deno.test("the Docker install needs explicit consent", () => {
  assert.ok(DockerInstallRequest.safeParse({ consent: true }).success);
  assert.ok(!DockerInstallRequest.safeParse({ consent: false }).success);
  assert.ok(!DockerInstallRequest.safeParse({}).success);
});

Deno.test("sign-in takes an http(s) server address and a non-empty token", () => {
  assert.ok(DeviceSignInRequest.safeParse({ serverUrl: "https://lattice.example.com" }).success);
  for (const serverUrl of ["lattice.example.com", "javascript:alert(1)", "file:///etc", ""]) {
    assert.ok(!DeviceSignInRequest.safeParse({ serverUrl }).success, serverUrl);
  }
  assert.ok(!TokenSignInRequest.safeParse({ serverUrl: "http://x", token: "  " }).success);
  assert.ok(TokenSignInRequest.safeParse({ serverUrl: "http://x", token: "ljt_abc" }).success);
});

Deno.test("the machine step checks the name, labels, cluster and share", () => {
  const ok = {
    name: "box",
    labels: { room: "lab-3" },
    cluster: "",
    offer: { cpuPercent: 50, memoryMiB: 2048, diskGiB: null },
  };
  assert.ok(MachineRequest.safeParse(ok).success);
  assert.ok(!MachineRequest.safeParse({ ...ok, name: " " }).success);
  assert.ok(!MachineRequest.safeParse({ ...ok, labels: { "bad key!": "x" } }).success);
  assert.ok(!MachineRequest.safeParse({ ...ok, cluster: "Lab 3" }).success);
  assert.ok(MachineRequest.safeParse({ ...ok, cluster: "lab-3" }).success);
  for (const cpuPercent of [0, 101, 50.5]) {
    assert.ok(!MachineRequest.safeParse({ ...ok, offer: { ...ok.offer, cpuPercent } }).success);
  }
  assert.ok(!MachineRequest.safeParse({ ...ok, offer: { ...ok.offer, memoryMiB: 0 } }).success);
});

Deno.test("hours are a 7×24 grid of booleans and a known time zone", () => {
  assert.ok(HoursRequest.safeParse({ grid: grid(), timezone: "Europe/Paris" }).success);
  assert.ok(!HoursRequest.safeParse({ grid: grid(), timezone: "Mars/Olympus" }).success);
  assert.ok(!HoursRequest.safeParse({ grid: grid().slice(1), timezone: "UTC" }).success);
  const short = grid();
  short[3] = short[3].slice(1);
  assert.ok(!HoursRequest.safeParse({ grid: short, timezone: "UTC" }).success);
  const wrong = grid();
  wrong[0][0] = "yes";
  assert.ok(!HoursRequest.safeParse({ grid: wrong, timezone: "UTC" }).success);
});

Deno.test("service actions are the known ones", () => {
  assert.ok(ServiceRequest.safeParse({ action: "install" }).success);
  assert.ok(!ServiceRequest.safeParse({ action: "rm -rf" }).success);
});
