import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { createMetrics } from "../src/metrics.js";
import type { Metrics } from "../src/metrics.js";
import { PolicyLoadError } from "../src/policy/errors.js";
import { createPolicyStore } from "../src/policy/store.js";
import type { PolicyStore } from "../src/policy/store.js";
import type { Policy } from "../src/policy/types.js";
import { createMemoryLogger } from "./support/logger.js";
import { waitFor } from "./support/wait.js";

type Cleanup = { after(fn: () => Promise<void> | void): void };

const policyText = (onError: "allow" | "deny", action = "warn") => `apiVersion: kuma-guard.io/v1alpha1
kind: Policy
metadata: {name: reload}
spec:
  onError: ${onError}
  rules:
    patch-privilege: {action: ${action}}
`;

async function tempDir(t: Cleanup): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kuma-guard-policy-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function open(t: Cleanup, file: string) {
  const logger = createMemoryLogger();
  const metrics: Metrics = createMetrics({}, new Registry());
  const reloaded: Policy[] = [];
  const store = await createPolicyStore({ file, logger, metrics, onReload: (p) => reloaded.push(p), pollIntervalMs: 50, debounceMs: 20 });
  t.after(() => store.close());
  const count = async (result: "success" | "failure") =>
    (await metrics.policyReloads.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
  return { store, logger, count, reloaded };
}

const actionOf = (store: PolicyStore) => store.current().actionFor("patch-privilege", "advisory");

test("a valid edit applies without a restart and counts a success", async (t) => {
  const file = join(await tempDir(t), "policy.yaml");
  await writeFile(file, policyText("allow"));
  const { store, count, reloaded, logger } = await open(t, file);
  assert.equal(store.current().onError, "allow");
  assert.equal(await count("success"), 0);
  assert.equal(await count("failure"), 0);

  await writeFile(file, policyText("deny", "deny"));
  await waitFor(() => store.current().onError === "deny", "the edited policy");
  assert.equal(actionOf(store), "deny");
  assert.equal(await count("success"), 1);
  assert.deepEqual(
    reloaded.map((p) => p.onError),
    ["deny"],
  );
  assert.ok(logger.messages("info").includes("policy reloaded"));
});

test("an invalid edit keeps the last good policy, logs file and field, counts a failure once", async (t) => {
  const file = join(await tempDir(t), "policy.yaml");
  await writeFile(file, policyText("deny", "deny"));
  const { store, count, logger } = await open(t, file);
  const good = store.current();

  await writeFile(file, policyText("allow", "block"));
  await waitFor(async () => (await count("failure")) === 1, "a counted failure");
  assert.equal(store.current(), good);
  const errors = logger.entries.filter((e) => e.level === "error");
  assert.equal(errors.length, 1);
  assert.match(
    errors[0]!.msg ?? "",
    new RegExp(`${file.replace(/[.]/g, "\\.")}: spec\\.rules\\.patch-privilege\\.action: must be one of deny, warn, audit, off`),
  );
  assert.equal((errors[0]!.obj as { file: string }).file, file);

  // The same bad content again is not a new failure.
  assert.equal(await store.reload(), false);
  assert.equal(await count("failure"), 1);

  // Fixing it applies.
  await writeFile(file, policyText("allow", "audit"));
  await waitFor(() => actionOf(store) === "audit", "the fixed policy");
  assert.equal(await count("success"), 1);
});

test("a YAML syntax error is logged with its line", async (t) => {
  const file = join(await tempDir(t), "policy.yaml");
  await writeFile(file, policyText("allow"));
  const { store, count, logger } = await open(t, file);
  await writeFile(file, "apiVersion: kuma-guard.io/v1alpha1\nkind: Policy\nspec:\n  rules: [\n");
  await waitFor(async () => (await count("failure")) === 1, "a counted failure");
  assert.equal(store.current().onError, "allow");
  assert.ok(
    logger.messages("error").some((m) => m.includes(`${file}:`) && m.includes("YAML syntax error")),
    logger.messages("error").join("\n"),
  );
});

test("a deleted file keeps the last good policy; a new file is picked up", async (t) => {
  const file = join(await tempDir(t), "policy.yaml");
  await writeFile(file, policyText("deny"));
  const { store, count, logger } = await open(t, file);
  await unlink(file);
  await waitFor(async () => (await count("failure")) === 1, "a counted failure");
  assert.equal(store.current().onError, "deny");
  assert.ok(
    logger.messages("error").some((m) => m.includes(`${file}: cannot read the policy file: no such file`)),
    logger.messages("error").join("\n"),
  );

  await writeFile(file, policyText("allow"));
  await waitFor(() => store.current().onError === "allow", "the re-created policy");
  assert.equal(await count("success"), 1);
});

test("a ConfigMap update (the ..data symlink swap) is picked up", async (t) => {
  // kubelet's AtomicWriter: ..<timestamp>/ holds the files, ..data points at it, the visible
  // file points into ..data; an update writes a new directory and renames a new ..data over.
  const dir = await tempDir(t);
  await mkdir(join(dir, "..2026_12_01_00_00_00.1"));
  await writeFile(join(dir, "..2026_12_01_00_00_00.1", "policy.yaml"), policyText("allow"));
  await symlink("..2026_12_01_00_00_00.1", join(dir, "..data"));
  await symlink("..data/policy.yaml", join(dir, "policy.yaml"));
  const { store, count } = await open(t, join(dir, "policy.yaml"));
  assert.equal(store.current().onError, "allow");

  await mkdir(join(dir, "..2026_12_01_00_05_00.2"));
  await writeFile(join(dir, "..2026_12_01_00_05_00.2", "policy.yaml"), policyText("deny"));
  await symlink("..2026_12_01_00_05_00.2", join(dir, "..data_tmp"));
  await rename(join(dir, "..data_tmp"), join(dir, "..data"));
  await rm(join(dir, "..2026_12_01_00_00_00.1"), { recursive: true });
  await waitFor(() => store.current().onError === "deny", "the swapped policy");
  assert.equal(await count("success"), 1);
  assert.equal(await count("failure"), 0);
});

test("the first load must succeed: a broken file is refused with its problems", async (t) => {
  const file = join(await tempDir(t), "policy.yaml");
  await writeFile(file, policyText("allow", "block"));
  await assert.rejects(createPolicyStore({ file, logger: createMemoryLogger() }), (e: unknown) => {
    assert.ok(e instanceof PolicyLoadError);
    assert.deepEqual(e.problems, [`${file}: spec.rules.patch-privilege.action: must be one of deny, warn, audit, off`]);
    return true;
  });
  await assert.rejects(createPolicyStore({ file: join(file, "..", "missing.yaml"), logger: createMemoryLogger() }), PolicyLoadError);
});

test("without a file: the bundled default policy", async (t) => {
  const store = await createPolicyStore({ logger: createMemoryLogger() });
  t.after(() => store.close());
  assert.match(store.file, /policies[/\\]default\.yaml$/);
  assert.equal(store.current().name, "default");
  assert.equal(
    store.current().isExempt("patch-op", {
      target: "namespace",
      kind: "Namespace",
      meta: { name: "kube-system", namespace: "", labels: {}, annotations: {}, annotationKeys: [] },
    }),
    true,
  );
});

test("metrics given later (serve creates them after the first load) still count reloads", async (t) => {
  const file = join(await tempDir(t), "policy.yaml");
  await writeFile(file, policyText("allow"));
  let metrics: Metrics | undefined;
  const store = await createPolicyStore({ file, logger: createMemoryLogger(), metrics: () => metrics, pollIntervalMs: 50, debounceMs: 20 });
  t.after(() => store.close());
  metrics = createMetrics({}, new Registry());
  await writeFile(file, policyText("deny"));
  await waitFor(() => store.current().onError === "deny", "the edited policy");
  const success = (await metrics.policyReloads.get()).values.find((v) => v.labels.result === "success")?.value;
  assert.equal(success, 1);
});
