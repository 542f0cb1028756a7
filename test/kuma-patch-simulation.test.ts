import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { applyKumaOperation, simulateChain } from "../src/kuma/patch-simulation.js";
import type { KumaOperation } from "../src/kuma/patch-simulation.js";
import { KUMA_TEMPLATES } from "../src/kuma/templates.js";
import { isSpecSound, readPatchSpec } from "../src/kuma/container-patch.js";
import { MAX_PATCH_BLOCKS } from "../src/limits.js";
import type { ContainerPatchSubject } from "../src/rules/types.js";
import { catalogOf, contextFor, deploymentWith, subjectOf } from "./support/context.js";

// Each row encodes evanphx/json-patch v5.9.11 behaviour as Kuma configures it
// (EnsurePathExistsOnAdd, SupportNegativeIndices). evanphx: v5/patch.go.
const rows: { name: string; doc: unknown; op: KumaOperation; result?: unknown; error?: string }[] = [
  { name: "add creates missing object parents", doc: {}, op: { op: "add", path: "/a/b", value: "1" }, result: { a: { b: 1 } } },
  {
    name: "add creates an array parent, null-padded, when the next token is a number",
    doc: {},
    op: { op: "add", path: "/a/2/b", value: "1" },
    result: { a: [null, null, { b: 1 }] },
  },
  {
    name: "add with -1 inserts before the end slot (appends)",
    doc: { a: [1, 2] },
    op: { op: "add", path: "/a/-1", value: "9" },
    result: { a: [1, 2, 9] },
  },
  { name: "add with - appends", doc: { a: [1] }, op: { op: "add", path: "/a/-", value: "2" }, result: { a: [1, 2] } },
  {
    name: "add past the end of an array",
    doc: { a: [1] },
    op: { op: "add", path: "/a/5", value: "2" },
    error: "error in add for path: '/a/5': Unable to access invalid index: 5: invalid index referenced",
  },
  { name: "add below a scalar", doc: { a: "s" }, op: { op: "add", path: "/a/b", value: "1" }, error: "invalid state detected" },
  { name: "add with empty path replaces the document", doc: { a: 1 }, op: { op: "add", path: "", value: '{"b":2}' }, result: { b: 2 } },
  {
    name: "replace of a missing key",
    doc: { securityContext: {} },
    op: { op: "replace", path: "/securityContext/privileged", value: "true" },
    error: "replace operation does not apply: doc is missing key: /securityContext/privileged: missing value",
  },
  {
    name: "replace below a missing parent",
    doc: {},
    op: { op: "replace", path: "/a/b", value: "1" },
    error: "replace operation does not apply: doc is missing path: /a/b: missing value",
  },
  {
    name: "replace with -1 is the last element",
    doc: { a: [1, 2] },
    op: { op: "replace", path: "/a/-1", value: "9" },
    result: { a: [1, 9] },
  },
  {
    name: "remove of a missing key",
    doc: { a: 1 },
    op: { op: "remove", path: "/b" },
    error: "error in remove for path: '/b': unable to remove nonexistent key: b: missing value",
  },
  { name: "remove with -1 drops the last element", doc: { a: [1, 2] }, op: { op: "remove", path: "/a/-1" }, result: { a: [1] } },
  { name: "move of an existing field", doc: { a: [1, 2] }, op: { op: "move", from: "/a/0", path: "/b" }, result: { a: [2], b: 1 } },
  {
    name: "move with empty from",
    doc: { a: 1 },
    op: { op: "move", from: "", path: "/b" },
    error: "unable to move entire document to another path: invalid state detected",
  },
  {
    name: "copy from a missing key",
    doc: { a: 1 },
    op: { op: "copy", from: "/x", path: "/b" },
    error: "error in copy for from: '/x': unable to get nonexistent key: x: missing value",
  },
  {
    name: "copy does not create parents",
    doc: { a: 1 },
    op: { op: "copy", from: "/a", path: "/x/y" },
    error: "copy operation does not apply: doc is missing destination path: /x/y: missing value",
  },
  {
    name: "path without leading slash patches the last piece",
    doc: { securityContext: {} },
    op: { op: "add", path: "securityContext/privileged", value: "true" },
    result: { securityContext: {}, privileged: true },
  },
  { name: "unknown op", doc: {}, op: { op: "test", path: "/a", value: "1" }, error: "Unexpected kind: test" },
];
for (const row of rows) {
  test(`applyKumaOperation: ${row.name}`, () => {
    const before = JSON.stringify(row.doc);
    const result = applyKumaOperation(row.doc, row.op);
    if (row.error !== undefined) assert.deepEqual(result, { ok: false, message: row.error });
    else assert.deepEqual(result, { ok: true, doc: row.result });
    assert.equal(JSON.stringify(row.doc), before, "input document must not change");
  });
}

const patch = (name: string, spec: unknown): ContainerPatchSubject =>
  subjectOf({
    apiVersion: "kuma.io/v1alpha1",
    kind: "ContainerPatch",
    metadata: { name, namespace: "kuma-system" },
    spec,
  }) as ContainerPatchSubject;

test("simulation applies defaults before the patch and leaves the frozen templates alone", () => {
  const subject = patch("p1", { sidecarPatch: [{ op: "replace", path: "/securityContext/runAsNonRoot", value: "false" }] });
  const { simulation } = contextFor(subject, {
    settings: { controlPlaneNamespaces: ["kuma-system"], defaultContainerPatches: ["base"] },
    catalog: catalogOf([
      {
        name: "base",
        namespace: "kuma-system",
        spec: { sidecarPatch: [{ op: "add", path: "/securityContext/runAsNonRoot", value: "true" }] },
      },
    ]),
  });
  assert.equal((simulation.sidecar.container.securityContext as Record<string, unknown>).runAsNonRoot, false);
  assert.equal(simulation.sidecar.failure, undefined);
  assert.equal((KUMA_TEMPLATES.sidecar.securityContext as Record<string, unknown>).runAsNonRoot, undefined);
});

test("a failing block stops the chain and keeps the last good container", () => {
  const subject = patch("p1", {
    sidecarPatch: [
      { op: "add", path: "/securityContext/runAsNonRoot", value: "true" },
      { op: "replace", path: "/securityContext/privileged", value: "true" },
    ],
  });
  const { sidecar } = contextFor(subject).simulation;
  assert.deepEqual(sidecar.failure, {
    patch: "p1",
    list: "sidecarPatch",
    blockIndex: 1,
    path: "/securityContext/privileged",
    message: "replace operation does not apply: doc is missing key: /securityContext/privileged: missing value",
  });
  assert.equal((sidecar.container.securityContext as Record<string, unknown>).runAsNonRoot, true);
});

// Kuma: injector.go loadContainerPatches — defaults first, then the annotation's names in order.
test("workload chain: defaults, then the annotation's names trimmed; missing names skipped", () => {
  const subject = deploymentWith({ "kuma.io/container-patches": "missing, p2,," });
  const ctx = contextFor(subject, {
    settings: { controlPlaneNamespaces: ["kuma-system"], defaultContainerPatches: ["d"] },
    catalog: catalogOf([
      { name: "d", namespace: "kuma-system", spec: { initPatch: [{ op: "add", path: "/env/-", value: '{"name":"A","value":"1"}' }] } },
      { name: "p2", namespace: "kuma-system", spec: { initPatch: [{ op: "add", path: "/env/-", value: '{"name":"B","value":"2"}' }] } },
    ]),
  });
  assert.deepEqual(ctx.referencedNames, ["d", "missing", "p2"]);
  assert.deepEqual(
    ctx.chain.entries.map((entry) => entry.name),
    ["d", "p2"],
  );
  const env = ctx.simulation.init.container.env as { name: string }[];
  assert.deepEqual(
    env.slice(-2).map((e) => e.name),
    ["A", "B"],
  );
});

test("an add that fails after creating parents leaves no trace in the last good container", () => {
  // evanphx patch.go: ensurePathExists creates /a as an array, then findObject cannot walk "-".
  const subject = patch("p1", { sidecarPatch: [{ op: "add", path: "/a/-/b", value: "1" }] });
  const { sidecar } = contextFor(subject).simulation;
  assert.equal(sidecar.failure?.message, 'add operation does not apply: doc is missing path: "/a/-/b": missing value');
  assert.equal("a" in sidecar.container, false);
});

test("a large ContainerPatch is simulated block by block like a small one", () => {
  // 40 env values of 1 KiB each.
  const env = Array.from({ length: 40 }, (_, i) => ({
    op: "add",
    path: "/env/-",
    value: JSON.stringify({ name: `BIG_${i}`, value: "x".repeat(1024) }),
  }));
  const big = (last: { op: string; path: string; value?: string }) => patch("big", { sidecarPatch: [...env, last] });
  const applied = contextFor(big({ op: "add", path: "/securityContext/runAsNonRoot", value: "true" })).simulation;
  assert.equal(applied.sidecar.failure, undefined);
  assert.equal((applied.sidecar.container.env as unknown[]).length, (KUMA_TEMPLATES.sidecar.env as unknown[]).length + 40);
  const failing = contextFor(big({ op: "replace", path: "/securityContext/privileged", value: "true" })).simulation;
  assert.equal(failing.sidecar.failure?.blockIndex, 40);
  assert.match(failing.sidecar.failure?.message ?? "", /replace operation does not apply/);
});

test("a spec is read as written: soundness follows its own blocks", () => {
  const spec = (op: string) => ({ sidecarPatch: [{ op, path: "/securityContext/runAsNonRoot", value: "true" }] });
  assert.equal(isSpecSound(readPatchSpec(spec("add"))), true);
  assert.equal(isSpecSound(readPatchSpec(spec("bogus"))), false);
  assert.equal(readPatchSpec(spec("bogus")).blocks[0]?.op, "bogus");
});

// Blocks copy only the containers on their path and share the rest with the start: any chain
// must give what applying each block to a fresh deep copy gives, and never change the start.
test("a chain shares unchanged parts with the frozen start and yields what copying before every block yields", () => {
  const pointer = fc.constantFrom(
    "/env",
    "/env/0",
    "/env/1",
    "/env/-",
    "/env/-1",
    "/env/0/name",
    "/resources/limits/cpu",
    "/resources",
    "/args/0",
    "/x/y",
    "",
  );
  const value = fc.constantFrom('"v"', "1", '{"name":"A","value":"1"}', "[1,2]", "{}", "null", "not json");
  const block = fc.record({ op: fc.constantFrom("add", "remove", "replace", "move", "copy"), path: pointer, from: pointer, value });
  const start = deepFreeze({
    name: "kuma-sidecar",
    args: ["run"],
    env: [
      { name: "A", value: "1" },
      { name: "B", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
    ],
    resources: { limits: { cpu: "1" }, requests: { cpu: "100m" } },
  });
  fc.assert(
    fc.property(fc.array(block, { maxLength: 8 }), (blocks) => {
      const reading = readPatchSpec({ sidecarPatch: blocks });
      const { sidecar } = simulateChain({ sidecar: start, init: start }, [{ name: "p", reading }]);
      let expected: unknown = structuredClone(start);
      let failure: string | undefined;
      for (const b of blocks) {
        const result = applyKumaOperation(structuredClone(expected), b);
        if (!result.ok) {
          failure = result.message;
          break;
        }
        expected = result.doc;
      }
      assert.deepEqual(sidecar.container, expected);
      assert.equal(sidecar.failure?.message, failure);
    }),
    { numRuns: 500 },
  );
});

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

// The work limit: one review applies at most MAX_PATCH_BLOCKS blocks per container, however the
// blocks are spread over patches and however long a single list is.
test("no chain applies more than MAX_PATCH_BLOCKS blocks per container, and one that would stops unverified", () => {
  const append = { op: "add", path: "/env/-", value: '{"name":"A","value":"1"}' };
  const templateEnv = (KUMA_TEMPLATES.sidecar.env as unknown[]).length;
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 2 * MAX_PATCH_BLOCKS }), { minLength: 1, maxLength: 6 }), (sizes) => {
      const entries = sizes.map((size, i) => ({ name: `p${i}`, reading: readPatchSpec({ sidecarPatch: Array(size).fill(append) }) }));
      const { sidecar } = simulateChain(KUMA_TEMPLATES, entries);
      const total = sizes.reduce((sum, size) => sum + size, 0);
      const applied = (sidecar.container.env as unknown[]).length - templateEnv;
      assert.equal(applied, Math.min(total, MAX_PATCH_BLOCKS));
      assert.equal(sidecar.unverified !== undefined, total > MAX_PATCH_BLOCKS);
      for (const { reading } of entries) assert.ok(reading.blocks.length <= MAX_PATCH_BLOCKS);
    }),
    { numRuns: 40 },
  );
});
