// patch-apply, patch-container, patch-unknown-field, patch-privilege on ContainerPatches
// and workloads. Kuma: pkg/plugins/runtime/k8s/webhooks/injector/injector.go (applyCustomPatches).
import { test } from "node:test";
import assert from "node:assert/strict";
import { catalogOf, deploymentWith, subjectOf } from "../support/context.js";
import type { TestInputs } from "../support/context.js";
import { findingsOf, codesOf, patchSubject, stored } from "./patch-support.js";
import { MAX_PATCH_BLOCKS } from "../../src/limits.js";

const add = (path: string, value: string) => ({ op: "add", path, value });
/** `count` harmless blocks: appends to env. */
const appends = (count: number) => Array.from({ length: count }, (_, i) => add("/env/-", JSON.stringify({ name: `E${i}`, value: "v" })));

const patchRows: { name: string; spec: unknown; codes: string[]; message?: RegExp; path?: string }[] = [
  { name: "add of an absent field", spec: { sidecarPatch: [add("/securityContext/runAsNonRoot", "true")] }, codes: [] },
  // evanphx patch.go replace: "doc is missing key".
  {
    name: "replace of an absent field",
    spec: { sidecarPatch: [{ op: "replace", path: "/securityContext/runAsNonRoot", value: "true" }] },
    codes: ["patch-apply/block-fails"],
    message: /sidecarPatch\[0\] \(replace \/securityContext\/runAsNonRoot\) fails injection: .*use add/,
    path: "spec.sidecarPatch[0].path",
  },
  {
    name: "remove of an absent field",
    spec: { initPatch: [{ op: "remove", path: "/securityContext/privileged" }] },
    codes: ["patch-apply/block-fails"],
    message: /drop the block/,
    path: "spec.initPatch[0].path",
  },
  {
    name: "replace of a rendered field",
    spec: { sidecarPatch: [{ op: "replace", path: "/securityContext/runAsUser", value: "1000" }] },
    codes: [],
  },
  {
    name: "index into env, which depends on the pod",
    spec: { sidecarPatch: [add("/env/3", '{"name":"A","value":"1"}')] },
    codes: ["patch-apply/pod-dependent-index"],
    message: /append with \/env\/- instead/,
  },
  { name: "append to env", spec: { sidecarPatch: [add("/env/-", '{"name":"A","value":"1"}')] }, codes: [] },
  // Kuma's json.Unmarshal into corev1.Container fails on a string boolean.
  {
    name: "JSON string where a boolean belongs",
    spec: { sidecarPatch: [add("/securityContext/runAsNonRoot", '"true"')] },
    codes: ["patch-container/invalid-container"],
    message: /write value: "true"/,
    path: "spec.sidecarPatch[0].value",
  },
  {
    name: "request above the limit",
    spec: { sidecarPatch: [add("/resources/requests/memory", '"1Gi"')] },
    codes: ["patch-container/invalid-container"],
    message: /memory limit of 512Mi/,
  },
  {
    name: "privileged init container (no allowPrivilegeEscalation there)",
    spec: { initPatch: [add("/securityContext/privileged", "true")] },
    codes: ["patch-privilege/raises-privileges"],
  },
  {
    name: "SYS_ADMIN on the sidecar",
    spec: { sidecarPatch: [add("/securityContext/capabilities/add", '["SYS_ADMIN"]')] },
    codes: ["patch-privilege/raises-privileges"],
    message: /capabilities.add SYS_ADMIN/,
  },
  {
    name: "CAP_SYS_ADMIN on the sidecar",
    spec: { sidecarPatch: [add("/securityContext/capabilities/add", '["CAP_SYS_ADMIN"]')] },
    codes: ["patch-container/invalid-container", "patch-privilege/raises-privileges"],
  },
  {
    name: "sidecar as root",
    spec: { sidecarPatch: [{ op: "replace", path: "/securityContext/runAsUser", value: "0" }] },
    codes: ["patch-privilege/raises-privileges"],
    message: /runAsUser: 0/,
  },
  {
    name: "typo in a field name",
    spec: { sidecarPatch: [add("/securityContext/privilegd", "true")] },
    codes: ["patch-unknown-field/unknown-field"],
    message: /did you mean \/securityContext\/privileged\?/,
    path: "spec.sidecarPatch[0].path",
  },
  {
    name: "typo inside an object value",
    spec: { initPatch: [add("/securityContext/seccompProfile", '{"tpye":"RuntimeDefault"}')] },
    codes: ["patch-container/invalid-container", "patch-unknown-field/unknown-field"],
  },
  // One root cause, one finding: an invalid block silences the simulation rules.
  {
    name: "invalid value alongside a failing replace",
    spec: { sidecarPatch: [add("/a", "100m"), { op: "replace", path: "/x", value: "1" }] },
    codes: ["patch-value/unquoted-string"],
  },
  // The bound on one review's work (MAX_PATCH_BLOCKS).
  { name: "as many blocks as one review simulates", spec: { sidecarPatch: appends(MAX_PATCH_BLOCKS) }, codes: [] },
  {
    name: "more blocks than one review simulates",
    spec: { sidecarPatch: appends(MAX_PATCH_BLOCKS + 1) },
    codes: ["patch-apply/not-simulated"],
    message: /stopped before ContainerPatch "[^"]+" sidecarPatch\[1000\], so it cannot verify the rest/,
    path: "spec.sidecarPatch[1000]",
  },
  {
    name: "a privileged block in front of the limit is not let through",
    spec: { sidecarPatch: [add("/securityContext/privileged", "true"), ...appends(MAX_PATCH_BLOCKS)] },
    codes: ["patch-apply/not-simulated"],
  },
  {
    name: "a failing block within the limit is found as always",
    spec: {
      sidecarPatch: [...appends(5), { op: "replace", path: "/securityContext/runAsNonRoot", value: "true" }, ...appends(MAX_PATCH_BLOCKS)],
    },
    codes: ["patch-apply/block-fails"],
    path: "spec.sidecarPatch[5].path",
  },
  {
    name: "blocks past the limit are not read: a bad op there goes unreported, the patch is denied as not simulated",
    spec: { initPatch: [...appends(MAX_PATCH_BLOCKS), { op: "test", path: "/name", value: '"x"' }] },
    codes: ["patch-apply/not-simulated"],
    path: "spec.initPatch[1000]",
  },
];
for (const row of patchRows) {
  test(`ContainerPatch: ${row.name}`, () => {
    const findings = findingsOf(patchSubject(row.spec));
    assert.deepEqual(codesOf(findings), row.codes, JSON.stringify(findings, null, 1));
    if (row.message)
      assert.ok(
        findings.some((f) => row.message!.test(f.message)),
        JSON.stringify(findings, null, 1),
      );
    if (row.path)
      assert.ok(
        findings.some((f) => f.path === row.path),
        JSON.stringify(findings, null, 1),
      );
  });
}

test("ContainerPatch: a default patch of the same name is replaced by the version under review", () => {
  const inputs: TestInputs = {
    settings: { controlPlaneNamespaces: ["kuma-system"], defaultContainerPatches: ["p1"] },
    catalog: catalogOf([stored("p1", { sidecarPatch: [add("/securityContext/runAsNonRoot", "true")] })]),
  };
  // Were the stored p1 applied first, the replace would find runAsNonRoot and pass.
  const findings = findingsOf(
    patchSubject({ sidecarPatch: [{ op: "replace", path: "/securityContext/runAsNonRoot", value: "false" }] }),
    inputs,
  );
  assert.deepEqual(codesOf(findings), ["patch-apply/block-fails"]);
});

const workloadInputs = (): TestInputs => ({
  catalog: catalogOf([
    stored("good", { sidecarPatch: [add("/securityContext/runAsNonRoot", "true")] }),
    stored("two-blocks", { sidecarPatch: [add("/securityContext/runAsNonRoot", "true"), add("/securityContext/runAsUser", "5678")] }),
    stored("bad-replace", { sidecarPatch: [{ op: "replace", path: "/securityContext/privileged", value: "true" }] }),
    stored("privileged", { sidecarPatch: [add("/securityContext/privileged", "true")] }),
    stored("broken", { sidecarPatch: [add("/a", "100m")] }),
  ]),
});

const workloadRows: { name: string; annotation: string; codes: string[]; message?: RegExp }[] = [
  { name: "existing good patch", annotation: "good", codes: [] },
  {
    name: "patch that does not apply",
    annotation: "good,bad-replace",
    codes: ["patch-apply/pod-injection-fails"],
    message: /^ContainerPatch "bad-replace" sidecarPatch\[0\] fails this pod's injection: replace operation does not apply/,
  },
  {
    name: "patch that makes the sidecar invalid",
    annotation: "privileged",
    codes: ["patch-container/invalid-container"],
    message: /^ContainerPatch "privileged" sidecarPatch\[0\] makes kuma-sidecar invalid/,
  },
  // Kuma: injector.go loadContainerPatches.
  {
    name: "missing patches",
    annotation: "good,nope, gone",
    codes: ["workload-missing-patch/missing"],
    message: /it appears some expected container patches are missing: \["nope" "gone"\].*kuma-system/,
  },
  { name: "a referenced patch with an invalid block is left to its own admission", annotation: "broken", codes: [] },
  { name: "as many blocks as one review simulates", annotation: Array(MAX_PATCH_BLOCKS).fill("good").join(","), codes: [] },
  {
    // Fewer names than a review reads (workload-missing-patch/too-many-names), more blocks than it simulates.
    name: "a chain longer than one review simulates",
    annotation: Array(MAX_PATCH_BLOCKS / 2 + 1)
      .fill("two-blocks")
      .join(","),
    codes: ["patch-apply/not-simulated"],
    message: /stopped before ContainerPatch "two-blocks" sidecarPatch\[0\]/,
  },
];
for (const row of workloadRows) {
  test(`workload: ${row.name}`, () => {
    const findings = findingsOf(deploymentWith({ "kuma.io/container-patches": row.annotation }), workloadInputs());
    assert.deepEqual(codesOf(findings), row.codes, JSON.stringify(findings, null, 1));
    if (row.message)
      assert.ok(
        findings.some((f) => row.message!.test(f.message)),
        JSON.stringify(findings, null, 1),
      );
    for (const f of findings) assert.equal(f.path, 'spec.template.metadata.annotations["kuma.io/container-patches"]');
  });
}

test("workload-missing-patch: default patches count too, and say so", () => {
  const inputs: TestInputs = { settings: { controlPlaneNamespaces: ["kuma-system"], defaultContainerPatches: ["base"] } };
  const [finding, ...rest] = findingsOf(deploymentWith({}), inputs);
  assert.deepEqual(rest, []);
  assert.equal(finding?.ruleId, "workload-missing-patch");
  assert.match(finding!.message, /\["base"\] \(some come from the control plane's default patches\)/);
});

test("workload-missing-patch: without a catalog, one advisory", () => {
  const inputs: TestInputs = { catalog: { configured: false, get: () => undefined } };
  const findings = findingsOf(deploymentWith({ "kuma.io/container-patches": "a,b" }), inputs);
  assert.deepEqual(codesOf(findings), ["workload-missing-patch/not-verified"]);
  assert.match(findings[0]!.message, /^not verified: no ContainerPatch catalog \(--patches or --kube\)/);
});

// Kuma's injector runs before validating webhooks; a pod it could not inject never arrives.
test("workload: an already injected Pod is not re-simulated", () => {
  const pod = subjectOf({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "web",
      namespace: "shop",
      annotations: { "kuma.io/container-patches": "bad-replace,nope", "kuma.io/sidecar-injected": "true" },
    },
    spec: { containers: [{ name: "web", image: "nginx" }] },
  });
  assert.deepEqual(findingsOf(pod, workloadInputs()), []);
});
