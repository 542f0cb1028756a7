// The directory catalog under bad files (issue 17): a file too deep, too large or too slow is
// skipped with its reason, counted, logged once per change, and never stops later reloads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDirectoryCatalog } from "../src/catalog/directory.js";
import { INLINE_READ_BYTES } from "../src/catalog/file-reader.js";
import { MAX_MANIFEST_FILE_BYTES } from "../src/limits.js";
import { createMemoryLogger } from "./support/logger.js";

const CP = ["kuma-system"];
const patch = (name: string, cpu: string, extra?: unknown) =>
  JSON.stringify({
    apiVersion: "kuma.io/v1alpha1",
    kind: "ContainerPatch",
    metadata: { name, namespace: "kuma-system" },
    spec: {
      sidecarPatch: [{ op: "add", path: "/resources/limits/cpu", value: JSON.stringify(cpu), ...(extra === undefined ? {} : { extra }) }],
    },
  });
/** A JSON value nested `depth` levels, built without recursion. */
const nested = (depth: number): unknown => JSON.parse("[".repeat(depth) + "]".repeat(depth));
/** A patch whose operation carries an array nested `depth` levels, as text (too deep for JSON.stringify). */
const deepPatchText = (name: string, depth: number) => patch(name, "1", "DEEP").replace('"DEEP"', "[".repeat(depth) + "]".repeat(depth));

async function setUp(t: { after(fn: () => Promise<void>): void }, reader?: { deadlineMs?: number; heapMb?: number }) {
  const dir = await mkdtemp(join(tmpdir(), "kuma-guard-limits-"));
  const logger = createMemoryLogger();
  const open = async () => {
    const catalog = createDirectoryCatalog({ dir, logger, watch: false, ...(reader ? { reader } : {}) });
    t.after(async () => {
      await catalog.close();
      await rm(dir, { recursive: true, force: true });
    });
    await catalog.ready;
    return catalog;
  };
  return { dir, logger, open };
}

const cpuOf = (catalog: ReturnType<typeof createDirectoryCatalog>, name: string) =>
  ((catalog.view(CP).get(name)?.spec.sidecarPatch as { value: string }[] | undefined) ?? [])[0]?.value;

test("a ContainerPatch nested 200,000 deep is skipped, and later edits of other files still load", async (t) => {
  const { dir, logger, open } = await setUp(t);
  await writeFile(join(dir, "a.json"), patch("a", "1"));
  await writeFile(join(dir, "deep.json"), deepPatchText("deep", 200_000));
  const catalog = await open();
  assert.equal(catalog.view(CP).get("deep"), undefined);
  assert.equal(catalog.skippedFiles?.().too_deep, 1);
  await writeFile(join(dir, "a.json"), patch("a", "2"));
  await catalog.reload();
  assert.equal(cpuOf(catalog, "a"), '"2"', "the edit of a.json was loaded");
  await writeFile(join(dir, "b.json"), patch("b", "3"));
  await catalog.reload();
  assert.equal(cpuOf(catalog, "b"), '"3"');
  const deepWarnings = logger.messages("warn").filter((m) => m.startsWith("deep.json"));
  assert.equal(deepWarnings.length, 1, `logged once, not per reload: ${deepWarnings.join(" | ")}`);
  assert.match(deepWarnings[0] ?? "", /nests deeper than 64 levels \(file skipped: too_deep\)/);
});

test("a document nested just over the limit is named by its field path", async (t) => {
  const { dir, logger, open } = await setUp(t);
  await writeFile(join(dir, "deep.json"), patch("deep", "1", nested(70)));
  const catalog = await open();
  assert.equal(catalog.skippedFiles?.().too_deep, 1);
  assert.ok(
    logger.messages("warn").some((m) => /^deep\.json(:\d+)?: .*nests deeper than 64 levels/.test(m)),
    logger.messages("warn").join("\n"),
  );
});

test("a file over MAX_MANIFEST_FILE_BYTES is skipped without being parsed", async (t) => {
  const { dir, logger, open } = await setUp(t);
  await writeFile(join(dir, "big.yaml"), `# ${"x".repeat(MAX_MANIFEST_FILE_BYTES)}\n${patch("big", "1")}`);
  const catalog = await open();
  assert.equal(catalog.view(CP).get("big"), undefined);
  assert.equal(catalog.skippedFiles?.().too_large, 1);
  assert.ok(logger.messages("warn").some((m) => /^big\.yaml: \d+ bytes, over the limit/.test(m)));
});

test("a file the reader cannot finish in time is skipped as too_slow", async (t) => {
  const { dir, open } = await setUp(t, { deadlineMs: 1 });
  await writeFile(join(dir, "a.yaml"), `# ${"x".repeat(INLINE_READ_BYTES)}\n${patch("a", "1")}`);
  const catalog = await open();
  assert.equal(catalog.skippedFiles?.().too_slow, 1);
  assert.equal(catalog.synced(), true, "the directory itself was read");
});

test("a file of at most INLINE_READ_BYTES is read without the worker, so its deadline does not apply", async (t) => {
  const { dir, open } = await setUp(t, { deadlineMs: 1 });
  await writeFile(join(dir, "a.json"), patch("a", "1"));
  const catalog = await open();
  assert.equal(catalog.skippedFiles?.().too_slow, 0);
  assert.equal(cpuOf(catalog, "a"), '"1"');
});

test("a file that needs more memory than the reader has is skipped as too_large", async (t) => {
  const { dir, open } = await setUp(t, { heapMb: 4 });
  const docs = Array.from({ length: 4000 }, (_, i) => patch(`p-${i}`, "1")).join("\n---\n");
  await writeFile(join(dir, "many.yaml"), docs);
  const catalog = await open();
  assert.equal(catalog.skippedFiles?.().too_large, 1);
});

test("'keeping its last good ContainerPatches' only for a file that had some", async (t) => {
  const { dir, logger, open } = await setUp(t);
  await writeFile(join(dir, "a.yaml"), patch("a", "1"));
  await writeFile(join(dir, "never-good.yaml"), "kind: [");
  const catalog = await open();
  await writeFile(join(dir, "a.yaml"), "kind: [");
  await catalog.reload();
  assert.equal(cpuOf(catalog, "a"), '"1"', "a.yaml keeps its last good patch");
  const keeping = logger.messages("warn").filter((m) => m.includes("keeping its last good"));
  assert.deepEqual(
    keeping.map((m) => m.split(":")[0]),
    ["a.yaml"],
  );
  assert.equal(catalog.skippedFiles?.().unparsable, 2);
});

test("generation() moves only when the patches change", async (t) => {
  const { dir, open } = await setUp(t);
  await writeFile(join(dir, "a.yaml"), patch("a", "1"));
  const catalog = await open();
  const first = catalog.generation();
  await writeFile(join(dir, "other.yaml"), "kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\n");
  await catalog.reload();
  assert.equal(catalog.generation(), first);
  await writeFile(join(dir, "a.yaml"), patch("a", "2"));
  await catalog.reload();
  assert.equal(catalog.generation(), first + 1);
});
