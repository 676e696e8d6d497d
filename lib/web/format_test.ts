import assert from "node:assert/strict";
import { formatBytes, formatCores, formatMiB, formatPercent, shareOf } from "./format.ts";

Deno.test("formatCores() shows whole cores without decimals and others with one", () => {
  assert.equal(formatCores(8000), "8");
  assert.equal(formatCores(1500), "1.5");
  assert.equal(formatCores(0), "0");
});

Deno.test("formatMiB() and formatBytes() pick the largest unit that reads well", () => {
  assert.equal(formatMiB(512), "512 MiB");
  assert.equal(formatMiB(16384), "16 GiB");
  assert.equal(formatMiB(1536), "1.5 GiB");
  assert.equal(formatMiB(3 * 1024 * 1024), "3 TiB");
  assert.equal(formatBytes(100), "100 B");
  assert.equal(formatBytes(8 * 1024 ** 3), "8 GiB");
});

Deno.test("formatPercent() and shareOf() clamp and handle missing totals", () => {
  assert.equal(formatPercent(0.4567), "46%");
  assert.equal(formatPercent(null), "—");
  assert.equal(shareOf(5, 0), 0);
  assert.equal(shareOf(15, 10), 1);
  assert.equal(shareOf(5, 10), 0.5);
});
