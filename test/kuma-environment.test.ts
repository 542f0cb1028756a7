// The Kuma a review judges against: the control plane's config.yaml (--kuma-config) and
// version (--kuma-version), the policy's spec.kuma.version winning, through check's path.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkDocuments } from "../src/check.js";
import type { CheckEnv } from "../src/check.js";
import { resolveKumaEnvironment } from "../src/kuma/environment.js";
import { readManifests } from "../src/manifests.js";
import { compilePolicy, createDefaultPolicy, DEFAULT_POLICY_DOCUMENT } from "../src/policy/compile.js";

// kuma-control-plane-config's config.yaml as the Helm chart writes it: a sidecar cpu limit and
// a default patch (Kuma: pkg/config/plugins/runtime/k8s/config.go, Injector.ContainerPatches).
const CONFIG = `
runtime:
  kubernetes:
    injector:
      containerPatches: [platform-defaults]
      sidecarContainer:
        resources:
          limits: {cpu: "1", memory: 512Mi}
`;

const MANIFESTS = `
apiVersion: kuma.io/v1alpha1
kind: ContainerPatch
metadata: {name: sidecar-cpu, namespace: kuma-system}
spec:
  sidecarPatch:
    - {op: replace, path: /resources/limits/cpu, value: '"500m"'}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {annotations: {kuma.io/container-patches: sidecar-cpu}}
    spec: {containers: [{name: web, image: nginx:1.27}]}
`;

function codesOf(env: Partial<CheckEnv>): string[] {
  const { report } = checkDocuments(readManifests(MANIFESTS, "app.yaml").documents, {
    policy: createDefaultPolicy(),
    baseCatalog: undefined,
    namespace: "default",
    files: ["app.yaml"],
    version: "0.0.0-test",
    ...env,
  });
  return report.objects.flatMap((o) => o.findings.filter((f) => f.action === "deny").map((f) => `${o.kind} ${f.code}`)).sort();
}

test("Kuma 2.14's defaults: the sidecar has no cpu limit to replace, and there are no default patches", () => {
  assert.deepEqual(codesOf({}), ["ContainerPatch patch-apply/block-fails", "Deployment patch-apply/pod-injection-fails"]);
});

test("--kuma-config with a cpu limit and a default patch: the replace applies, the missing default patch denies", () => {
  assert.deepEqual(codesOf({ controlPlane: { config: { text: CONFIG, source: "--kuma-config cp.yaml" } } }), [
    "Deployment workload-missing-patch/missing",
  ]);
});

test("--kuma-version 2.13 (a cpu limit by default): the replace applies", () => {
  assert.deepEqual(codesOf({ controlPlane: { version: { value: "2.13", source: "--kuma-version" } } }), []);
});

test("the policy's spec.kuma.version wins over the control plane's, with a warning", () => {
  const policy = compilePolicy(
    { ...DEFAULT_POLICY_DOCUMENT, spec: { ...DEFAULT_POLICY_DOCUMENT.spec, kuma: { version: "2.14" } } },
    "p.yaml",
  );
  assert.deepEqual(codesOf({ policy, controlPlane: { version: { value: "2.13.4", source: "image kuma-cp:2.13.4" } } }), [
    "ContainerPatch patch-apply/block-fails",
    "Deployment patch-apply/pod-injection-fails",
  ]);
  const resolved = resolveKumaEnvironment({ version: { value: "2.13.4", source: "image kuma-cp:2.13.4" } }, "2.14");
  assert.ok("value" in resolved);
  assert.match(resolved.value.warnings[0] ?? "", /spec\.kuma\.version 2\.14 wins over 2\.13\.4/);
});

test("an unsupported version is an error naming the supported minors, never a fallback", () => {
  assert.deepEqual(resolveKumaEnvironment({ version: { value: "2.9", source: "--kuma-version" } }), {
    error: '--kuma-version: Kuma "2.9" is not supported; supported minors: 2.11, 2.13, 2.14',
  });
  assert.throws(
    () => compilePolicy({ ...DEFAULT_POLICY_DOCUMENT, spec: { ...DEFAULT_POLICY_DOCUMENT.spec, kuma: { version: "3.0" } } }, "p.yaml"),
    /spec\.kuma\.version: Kuma "3\.0" is not supported; supported minors: 2\.11, 2\.13, 2\.14/,
  );
});
