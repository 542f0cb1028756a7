// Table tests for the annotation-placement rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { KNOWN_ANNOTATIONS } from "../../src/kuma/annotations.js";
import { annotationPlacement as rule } from "../../src/rules/annotation-placement.js";
import { deploymentWith, loadFixture, ruleContext, subjectOf } from "../support/context.js";
import type { RuleFinding, WorkloadSubject } from "../../src/rules/types.js";

const ctx = ruleContext();
const kinds = (findings: RuleFinding[]) => findings.map((f) => f.severity);
const pod = () => subjectOf(loadFixture("kuma-injected-pod.yaml")[0] as { kind: string }) as WorkloadSubject;

test("Kuma's own injected pod has no findings", () => assert.deepEqual(rule.check(pod(), ctx), []));
const fixture = (file: string) => subjectOf(loadFixture(file)[0] as { kind: string }) as WorkloadSubject;
test("documented usage (workload-good.yaml) has no findings", () => assert.deepEqual(rule.check(fixture("workload-good.yaml"), ctx), []));
test("workload-bad.yaml", () => assert.deepEqual(kinds(rule.check(fixture("workload-bad.yaml"), ctx)), ["advisory"]));

// Kuma reads only the pod (template) metadata: webhooks/injector/injector.go, controllers/pod_controller.go
const deployment = (meta: { annotations?: Record<string, string>; labels?: Record<string, string> }, templateAnnotations: Record<string, string> = {}) =>
  subjectOf({
    kind: "Deployment",
    metadata: { name: "web", namespace: "shop", ...meta },
    spec: { template: { metadata: { annotations: templateAnnotations }, spec: { containers: [] } } },
  }) as WorkloadSubject;
const cases = [
  { name: "annotation on the template only", subject: () => deployment({}, { "kuma.io/container-patches": "p" }), severities: [] },
  { name: "annotation on the Deployment itself", subject: () => deployment({ annotations: { "kuma.io/container-patches": "p" } }), severities: ["advisory"] },
  { name: "same key and value in both (kustomize commonAnnotations)", subject: () => deployment({ annotations: { "kuma.io/gateway": "enabled" } }, { "kuma.io/gateway": "enabled" }), severities: [] },
  { name: "injection label on the Deployment only", subject: () => deployment({ labels: { "kuma.io/sidecar-injection": "enabled" } }), severities: ["advisory"] },
  { name: "non-kuma annotation", subject: () => deployment({ annotations: { "deployment.kubernetes.io/revision": "3" } }), severities: [] },
];
for (const c of cases) test(c.name, () => assert.deepEqual(kinds(rule.check(c.subject(), ctx)), c.severities));

test("the advisory names the template path", () => {
  const [finding] = rule.check(deployment({ annotations: { "kuma.io/container-patches": "p" } }), ctx);
  assert.match(finding?.message ?? "", /spec\.template\.metadata\.annotations/);
});

// Totality: any mix of Kuma keys and short values never throws; every finding has a path
// and, with the rule id, fits a Kubernetes warning (256 characters).
const anyKey = fc.constantFrom(...KNOWN_ANNOTATIONS, "kuma.io/container-patch", "kuma.io/builtindns", "traffic.kuma.io/exclud-inbound-ports");
const anyValue = fc.oneof(fc.string({ maxLength: 24 }), fc.stringMatching(/^[a-z0-9:;,=.* -]{0,24}$/));
test("total over random annotations, labels and containers", () => {
  fc.assert(
    fc.property(
      fc.dictionary(anyKey, anyValue),
      fc.dictionary(fc.constantFrom("kuma.io/sidecar-injection", "kuma.io/workload", "kuma.io/mesh"), anyValue),
      fc.array(fc.record({ name: fc.string({ maxLength: 12 }), securityContext: fc.record({ runAsUser: fc.constantFrom(0, 1000, 5678) }) }), { maxLength: 3 }),
      (annotations, labels, containers) => {
        const subject = deploymentWith({ ...annotations }, { labels: { ...labels }, containers, securityContext: { runAsUser: 5678 } });
        (subject.meta as { annotations: Record<string, string> }).annotations = { ...annotations };
        for (const finding of rule.check(subject, ctx)) {
          assert.ok(finding.path, finding.message);
          assert.ok(`${rule.id}: ${finding.message}`.length <= 256, finding.message);
        }
      },
    ),
  );
});
