// The acceptance example: Kuma's documented container-patch-1 and its variants,
// as real YAML fixtures, through every ContainerPatch rule.
import { test } from "node:test";
import assert from "node:assert/strict";
import { findingsOf, fixtureSubject, codesOf } from "./patch-support.js";

const cases: { name: string; file: string; codes: string[]; message?: RegExp }[] = [
  {
    // Kuma >= 2.13 renders allowPrivilegeEscalation: false (injector.go NewSidecarContainer);
    // Kubernetes: pkg/apis/core/validation/validation.go ValidateSecurityContext.
    name: "documented example: privileged next to allowPrivilegeEscalation false",
    file: "containerpatch-documented.yaml",
    codes: ["patch-container/invalid-container", "patch-privilege/raises-privileges"],
    message: /add \/securityContext\/allowPrivilegeEscalation "true"/,
  },
  {
    name: "documented example with allowPrivilegeEscalation true added",
    file: "containerpatch-documented-fixed.yaml",
    codes: ["patch-privilege/raises-privileges"],
  },
  {
    // Kuma: injector.go applyCustomPatches; evanphx/json-patch v5 patch.go replace.
    name: "replace of a field Kuma does not render",
    file: "containerpatch-replace-privileged.yaml",
    codes: ["patch-apply/block-fails"],
    message: /replace operation does not apply: doc is missing key: \/securityContext\/privileged: missing value.*use add/,
  },
  {
    // Kuma: container_patch.go ToJsonPatch (value used as raw JSON).
    name: "unquoted 100m value",
    file: "containerpatch-unquoted-value.yaml",
    codes: ["patch-value/unquoted-string"],
    message: /'"100m"'/,
  },
  { name: "YAML boolean value", file: "containerpatch-yaml-boolean.yaml", codes: ["patch-value/not-a-string"], message: /value: 'true'/ },
  // Kuma: container_patch.go (CRD enum add;remove;replace;move;copy).
  { name: "test op", file: "containerpatch-test-op.yaml", codes: ["patch-op/test-op"] },
  { name: "block without path", file: "containerpatch-missing-path.yaml", codes: ["patch-path/missing"] },
  {
    // Kuma: pkg/plugins/runtime/k8s/webhooks/containerpatch_validator.go.
    name: "patch in the default namespace",
    file: "containerpatch-default-namespace.yaml",
    codes: ["patch-namespace/outside-control-plane"],
    message: /^ContainerPatch can only be placed in kuma-system namespace\. It can be however referenced by pods in all namespaces/,
  },
];

for (const c of cases) {
  test(c.name, () => {
    const findings = findingsOf(fixtureSubject(c.file));
    assert.deepEqual(codesOf(findings), c.codes, JSON.stringify(findings, null, 1));
    if (c.message)
      assert.ok(
        findings.some((f) => c.message!.test(f.message)),
        JSON.stringify(findings, null, 1),
      );
    for (const f of findings) assert.ok(f.message.length <= 230, `too long (${f.message.length}): ${f.message}`);
  });
}
