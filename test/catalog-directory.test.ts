import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createDirectoryCatalog } from "../src/catalog/directory.js";
import type { DirectoryCatalog } from "../src/catalog/directory.js";
import { REPO_ROOT } from "./support/context.js";
import { createMemoryLogger } from "./support/logger.js";
import { waitFor } from "./support/wait.js";

const FIXTURES = fileURLToPath(new URL("test/fixtures/catalog/", REPO_ROOT));
const CP = ["kuma-system"];

const patchYaml = (name: string, cpu: string, namespace = "kuma-system") => `apiVersion: kuma.io/v1alpha1
kind: ContainerPatch
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  sidecarPatch:
    - op: add
      path: /resources/limits/cpu
      value: '"${cpu}"'
`;

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kuma-guard-catalog-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function open(t: { after(fn: () => Promise<void>): void }, dir: string, logger = createMemoryLogger()): Promise<DirectoryCatalog> {
  const catalog = createDirectoryCatalog({ dir, logger, pollIntervalMs: 50, debounceMs: 20 });
  t.after(() => catalog.close());
  await catalog.ready;
  return catalog;
}

const cpuOf = (catalog: DirectoryCatalog, name: string) =>
  ((catalog.view(CP).get(name)?.spec.sidecarPatch as { value: string }[] | undefined) ?? [])[0]?.value;

test("the fixture directory: YAML, JSON and List files are loaded, bad files and other objects skipped with file:line", async (t) => {
  const logger = createMemoryLogger();
  const catalog = await open(t, FIXTURES, logger);
  assert.equal(catalog.synced(), true);
  const view = catalog.view(CP);
  assert.equal(view.configured, true);
  for (const name of ["sidecar-cpu-limit", "init-memory", "sidecar-privileged", "sidecar-log-level", "no-namespace"]) {
    assert.ok(view.get(name), name);
  }
  assert.equal(view.get("broken"), undefined);
  // Kuma only reads its own namespace.
  assert.equal(view.get("shop-patch"), undefined);
  assert.ok(catalog.view(["shop"]).get("shop-patch"));
  const warnings = logger.messages("warn");
  assert.ok(
    warnings.some((m) => m.startsWith("broken.yaml:10: YAML syntax error")),
    warnings.join("\n"),
  );
  assert.ok(
    warnings.some((m) => m.startsWith("other-namespace.yaml:14: not a kuma.io ContainerPatch")),
    warnings.join("\n"),
  );
});

test("a patch without a namespace is in the first control-plane namespace it is viewed with", async (t) => {
  const catalog = await open(t, FIXTURES);
  assert.equal(catalog.view(["kuma-system", "other"]).get("no-namespace")?.namespace, "kuma-system");
  assert.equal(catalog.view(["cp-2"]).get("no-namespace")?.namespace, "cp-2");
  assert.equal(catalog.view(["cp-2"]).get("sidecar-cpu-limit"), undefined);
  assert.deepEqual(catalog.countsByNamespace(), { "cp-2": 1, "kuma-system": 4, shop: 1 });
});

test("an explicit namespace wins over an unnamespaced patch of the same name", async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, "a.yaml"), patchYaml("p", "1"));
  await writeFile(join(dir, "b.yaml"), patchYaml("p", "2").replace("  namespace: kuma-system\n", ""));
  const catalog = await open(t, dir);
  assert.equal(cpuOf(catalog, "p"), '"1"');
});

test("files in subdirectories are read, hidden entries are not", async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, "team-a"));
  await mkdir(join(dir, ".git"));
  await writeFile(join(dir, "team-a", "p.yml"), patchYaml("nested", "1"));
  await writeFile(join(dir, ".git", "p.yaml"), patchYaml("hidden", "1"));
  await writeFile(join(dir, "notes.txt"), patchYaml("text", "1"));
  const catalog = await open(t, dir);
  assert.ok(catalog.view(CP).get("nested"));
  assert.equal(catalog.view(CP).get("hidden"), undefined);
  assert.equal(catalog.view(CP).get("text"), undefined);
});

test("a file added, changed and removed is picked up", async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, "keep.yaml"), patchYaml("keep", "1"));
  let changes = 0;
  const catalog = createDirectoryCatalog({
    dir,
    logger: createMemoryLogger(),
    pollIntervalMs: 50,
    debounceMs: 20,
    onChange: () => changes++,
  });
  t.after(() => catalog.close());
  await catalog.ready;
  assert.equal(changes, 1);

  await writeFile(join(dir, "new.yaml"), patchYaml("new", "1"));
  await waitFor(() => cpuOf(catalog, "new") === '"1"', "the added file");

  await writeFile(join(dir, "new.yaml"), patchYaml("new", "250m"));
  await waitFor(() => cpuOf(catalog, "new") === '"250m"', "the changed file");

  await unlink(join(dir, "new.yaml"));
  await waitFor(() => catalog.view(CP).get("new") === undefined, "the removed file");
  assert.ok(catalog.view(CP).get("keep"));
  assert.ok(changes >= 4);
});

test("a bad edit keeps the file's last good patches and never the other files'", async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, "a.yaml"), patchYaml("a", "1"));
  await writeFile(join(dir, "b.yaml"), patchYaml("b", "1"));
  const logger = createMemoryLogger();
  const catalog = await open(t, dir, logger);

  await writeFile(join(dir, "b.yaml"), "kind: [\n");
  await writeFile(join(dir, "c.yaml"), "{ not: valid");
  await writeFile(
    join(dir, "d.json"),
    JSON.stringify({ apiVersion: "kuma.io/v1alpha1", kind: "ContainerPatch", metadata: { name: "d", namespace: "kuma-system" }, spec: {} }),
  );
  await waitFor(() => catalog.view(CP).get("d") !== undefined, "the JSON file");
  assert.ok(catalog.view(CP).get("a"));
  assert.ok(catalog.view(CP).get("b"), "last good b");
  assert.ok(logger.messages("warn").some((m) => /^b\.yaml:\d+: YAML syntax error/.test(m)));
  assert.ok(logger.messages("warn").some((m) => /^c\.yaml:\d+: YAML syntax error/.test(m)));
  assert.equal(catalog.synced(), true);
});

test("a missing directory: not synced, no throw; it is picked up once it appears", async (t) => {
  const parent = await tempDir(t);
  const dir = join(parent, "patches");
  const logger = createMemoryLogger();
  const catalog = await open(t, dir, logger);
  assert.equal(catalog.synced(), false);
  assert.equal(logger.messages("error").length, 1);
  await mkdir(dir);
  await writeFile(join(dir, "p.yaml"), patchYaml("late", "1"));
  await waitFor(() => catalog.synced() && catalog.view(CP).get("late") !== undefined, "the late directory");
});

test("a Kubernetes ConfigMap update (..data symlink swap) is picked up", async (t) => {
  const dir = await tempDir(t);
  // The layout kubelet's AtomicWriter builds (pkg/volume/util/atomic_writer.go).
  await mkdir(join(dir, "..2026_1"));
  await writeFile(join(dir, "..2026_1", "patches.yaml"), patchYaml("cm", "100m"));
  await symlink("..2026_1", join(dir, "..data"));
  await symlink("..data/patches.yaml", join(dir, "patches.yaml"));
  const catalog = await open(t, dir);
  assert.equal(cpuOf(catalog, "cm"), '"100m"');
  assert.deepEqual(catalog.countsByNamespace(), { "kuma-system": 1 }, "the ..-prefixed copies are not read twice");

  await mkdir(join(dir, "..2026_2"));
  await writeFile(join(dir, "..2026_2", "patches.yaml"), patchYaml("cm", "200m") + "---\n" + patchYaml("cm-new", "1"));
  await symlink("..2026_2", join(dir, "..data_tmp"));
  await rename(join(dir, "..data_tmp"), join(dir, "..data"));
  await rm(join(dir, "..2026_1"), { recursive: true });
  await waitFor(() => cpuOf(catalog, "cm") === '"200m"' && catalog.view(CP).get("cm-new") !== undefined, "the swapped ConfigMap");
});

test("watch: false reads once and keeps no timers", async (t) => {
  const dir = await tempDir(t);
  await copyFile(join(FIXTURES, "patches.yaml"), join(dir, "patches.yaml"));
  const catalog = createDirectoryCatalog({ dir, logger: createMemoryLogger(), watch: false });
  t.after(() => catalog.close());
  await catalog.ready;
  assert.ok(catalog.view(CP).get("init-memory"));
  await catalog.resolve(CP, ["x"]);
});
