// patch-op, patch-path, patch-value, patch-from, patch-empty, patch-namespace: one table
// per rule over small specs. Kuma: pkg/plugins/resources/k8s/native/api/v1alpha1/container_patch.go.
import { test } from "node:test";
import assert from "node:assert/strict";
import { patchEmpty } from "../../src/rules/patch-empty.js";
import { patchFrom } from "../../src/rules/patch-from.js";
import { patchNamespace } from "../../src/rules/patch-namespace.js";
import { patchOp } from "../../src/rules/patch-op.js";
import { patchPath } from "../../src/rules/patch-path.js";
import { patchValue } from "../../src/rules/patch-value.js";
import type { ContainerPatchSubject, Rule, RuleFinding } from "../../src/rules/types.js";
import { checkRule } from "../support/context.js";
import type { TestInputs } from "../support/context.js";
import { patchSubject } from "./patch-support.js";

type Row = { name: string; spec: unknown; expect: { code: string; path: string; message?: RegExp }[] };

function run(rule: Rule<ContainerPatchSubject>, rows: Row[]) {
  for (const row of rows) {
    test(`${rule.id}: ${row.name}`, () => {
      const findings: RuleFinding[] = checkRule(rule, patchSubject(row.spec) as ContainerPatchSubject);
      assert.deepEqual(
        findings.map((f) => ({ code: f.code, path: f.path })),
        row.expect.map((e) => ({ code: e.code, path: e.path })),
        JSON.stringify(findings),
      );
      row.expect.forEach((e, i) => e.message && assert.match(findings[i]!.message, e.message));
    });
  }
}

const add = (path: string, value: unknown) => ({ op: "add", path, value });

run(patchOp, [
  {
    name: "the five CRD ops",
    spec: { sidecarPatch: ["add", "remove", "replace", "move", "copy"].map((op) => ({ op, path: "/a", value: "1", from: "/b" })) },
    expect: [],
  },
  // The CRD enum excludes RFC 6902 test (container_patch.go kubebuilder:validation:Enum).
  {
    name: "RFC 6902 test",
    spec: { sidecarPatch: [{ op: "test", path: "/a", value: "1" }] },
    expect: [{ code: "test-op", path: "spec.sidecarPatch[0].op", message: /"test" is not allowed/ }],
  },
  {
    name: "capitalised op",
    spec: { initPatch: [{ op: "Add", path: "/a", value: "1" }] },
    expect: [{ code: "unknown-op", path: "spec.initPatch[0].op", message: /write "add"/ }],
  },
  { name: "missing op", spec: { sidecarPatch: [{ path: "/a" }] }, expect: [{ code: "missing-op", path: "spec.sidecarPatch[0].op" }] },
  { name: "block that is a number", spec: { sidecarPatch: [42] }, expect: [{ code: "not-a-block", path: "spec.sidecarPatch[0]" }] },
  { name: "list that is a string", spec: { sidecarPatch: "add" }, expect: [{ code: "invalid-shape", path: "spec.sidecarPatch" }] },
  { name: "spec that is a string", spec: "nope", expect: [{ code: "invalid-shape", path: "spec" }] },
  { name: "spec that is null", spec: null, expect: [] },
]);

run(patchPath, [
  { name: "valid pointer", spec: { sidecarPatch: [add("/securityContext/privileged", "true")] }, expect: [] },
  {
    name: "missing path",
    spec: { sidecarPatch: [{ op: "add", value: "1" }] },
    expect: [{ code: "missing", path: "spec.sidecarPatch[0].path", message: /missing/ }],
  },
  // evanphx patch.go findObject drops the first piece unchecked: this patches /privileged.
  {
    name: "no leading slash",
    spec: { sidecarPatch: [add("securityContext/privileged", "true")] },
    expect: [{ code: "not-a-pointer", path: "spec.sidecarPatch[0].path", message: /must start with "\/"/ }],
  },
  {
    name: "dotted path",
    spec: { sidecarPatch: [add("securityContext.privileged", "true")] },
    expect: [{ code: "not-a-pointer", path: "spec.sidecarPatch[0].path", message: /\/securityContext\/privileged/ }],
  },
  {
    name: "double slash",
    spec: { sidecarPatch: [add("/securityContext//privileged", "true")] },
    expect: [{ code: "empty-segment", path: "spec.sidecarPatch[0].path", message: /empty segment/ }],
  },
  {
    name: "bad escape",
    spec: { sidecarPatch: [add("/a~2b", "true")] },
    expect: [{ code: "not-a-pointer", path: "spec.sidecarPatch[0].path" }],
  },
  {
    name: "path that is a number",
    spec: { sidecarPatch: [{ op: "add", path: 5, value: "1" }] },
    expect: [{ code: "not-a-string", path: "spec.sidecarPatch[0].path" }],
  },
]);

run(patchValue, [
  { name: "JSON string value", spec: { sidecarPatch: [add("/resources/requests/cpu", '"100m"')] }, expect: [] },
  { name: "JSON object value", spec: { initPatch: [add("/securityContext/seccompProfile", '{"type": "RuntimeDefault"}')] }, expect: [] },
  {
    name: "bare 100m",
    spec: { sidecarPatch: [add("/resources/requests/cpu", "100m")] },
    expect: [{ code: "unquoted-string", path: "spec.sidecarPatch[0].value", message: /100m → '"100m"'/ }],
  },
  {
    name: "YAML boolean",
    spec: { sidecarPatch: [add("/securityContext/privileged", true)] },
    expect: [{ code: "not-a-string", path: "spec.sidecarPatch[0].value", message: /value: 'true'/ }],
  },
  {
    name: "YAML number",
    spec: { sidecarPatch: [add("/securityContext/runAsUser", 1000)] },
    expect: [{ code: "not-a-string", path: "spec.sidecarPatch[0].value", message: /value: '1000'/ }],
  },
  {
    name: "add without value",
    spec: { sidecarPatch: [{ op: "add", path: "/a" }] },
    expect: [{ code: "missing", path: "spec.sidecarPatch[0].value", message: /missing/ }],
  },
  {
    name: "empty value",
    spec: { sidecarPatch: [add("/a", "")] },
    expect: [{ code: "empty", path: "spec.sidecarPatch[0].value", message: /empty/ }],
  },
  {
    name: "broken JSON object",
    spec: { sidecarPatch: [add("/resources/limits", '{"cpu": "1"')] },
    expect: [{ code: "invalid-json", path: "spec.sidecarPatch[0].value", message: /not valid JSON/ }],
  },
  {
    name: "JSON nested deeper than kuma-guard reads (checked before parsing)",
    spec: { sidecarPatch: [add("/env/-", `${"[".repeat(100_000)}${"]".repeat(100_000)}`)] },
    expect: [{ code: "too-deep", path: "spec.sidecarPatch[0].value", message: /nests deeper than 64 levels/ }],
  },
  {
    name: "JSON as deep as kuma-guard reads",
    spec: { sidecarPatch: [add("/securityContext/seLinuxOptions", `${'{"a":'.repeat(63)}1${"}".repeat(63)}`)] },
    expect: [],
  },
  {
    name: "value on remove is ignored",
    spec: { sidecarPatch: [{ op: "remove", path: "/args", value: "1" }] },
    expect: [{ code: "ignored-value", path: "spec.sidecarPatch[0].value" }],
  },
]);

run(patchFrom, [
  { name: "move with from", spec: { sidecarPatch: [{ op: "move", from: "/a", path: "/b" }] }, expect: [] },
  // Kuma's ToJsonPatch passes from "" when absent: move then fails (evanphx patch.go move).
  {
    name: "move without from",
    spec: { sidecarPatch: [{ op: "move", path: "/b" }] },
    expect: [{ code: "missing", path: "spec.sidecarPatch[0].from", message: /missing/ }],
  },
  {
    name: "copy with a from that is no pointer",
    spec: { initPatch: [{ op: "copy", from: "a", path: "/b" }] },
    expect: [{ code: "not-a-pointer", path: "spec.initPatch[0].from" }],
  },
  { name: "from on add is not checked", spec: { sidecarPatch: [{ op: "add", path: "/a", value: "1", from: "x" }] }, expect: [] },
]);

run(patchEmpty, [
  { name: "no lists", spec: {}, expect: [{ code: "no-blocks", path: "spec" }] },
  { name: "empty lists", spec: { sidecarPatch: [], initPatch: [] }, expect: [{ code: "no-blocks", path: "spec" }] },
  { name: "one block", spec: { initPatch: [add("/a", "1")] }, expect: [] },
]);

test("patch-namespace: Kuma's message names every control-plane namespace", () => {
  const inputs: TestInputs = { settings: { controlPlaneNamespaces: ["kuma-system", "kong-mesh-system"], defaultContainerPatches: [] } };
  assert.deepEqual(checkRule(patchNamespace, patchSubject({}, { namespace: "kong-mesh-system" }) as ContainerPatchSubject, inputs), []);
  const [finding] = checkRule(patchNamespace, patchSubject({}, { namespace: "shop" }) as ContainerPatchSubject, inputs);
  assert.equal(finding?.path, "metadata.namespace");
  assert.match(
    finding!.message,
    /^ContainerPatch can only be placed in kuma-system or kong-mesh-system namespace\. It can be however referenced by pods in all namespaces/,
  );
});
