// `check` refuses the files the server's catalog refuses (issue 17): over MAX_MANIFEST_FILE_BYTES
// or nested beyond MAX_NESTING_DEPTH, as input problems (exit 2) naming the file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_MANIFEST_FILE_BYTES } from "../src/limits.js";
import { checkInProcess } from "./support/check.js";

const patch = (name: string) =>
  `apiVersion: kuma.io/v1alpha1\nkind: ContainerPatch\nmetadata:\n  name: ${name}\n  namespace: kuma-system\nspec:\n  sidecarPatch:\n    - op: add\n      path: /resources/limits/cpu\n      value: '"1"'\n`;

test("check --patches: a catalog file over the size limit is an input problem, as in serve", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kuma-guard-check-limits-"));
  mkdirSync(join(dir, "patches"));
  writeFileSync(join(dir, "patches", "big.yaml"), `# ${"x".repeat(MAX_MANIFEST_FILE_BYTES)}\n${patch("big")}`);
  writeFileSync(join(dir, "input.yaml"), patch("input"));
  const run = await checkInProcess({ paths: [join(dir, "input.yaml")], patches: join(dir, "patches") });
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /big\.yaml: file is \d+ bytes, over the limit of 3145728/);
});

test("check: an input nested 100,000 deep is refused with its line before the YAML parser runs", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kuma-guard-check-limits-"));
  writeFileSync(join(dir, "deep.yaml"), `${patch("deep")}    extra: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`);
  const run = await checkInProcess({ paths: [join(dir, "deep.yaml")] });
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /deep\.yaml:11: nests deeper than 64 levels/);
});
