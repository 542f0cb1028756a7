// Table tests for the annotation-placement rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkRule, subjectOf } from "../support/context.js";
import { codes, sharedWorkloadRuleTests } from "../support/workload-rule.js";
import type { WorkloadSubject } from "../../src/rules/types.js";
import { annotationPlacement as rule } from "../../src/rules/annotation-placement.js";

sharedWorkloadRuleTests(rule, ["controller-annotation"]);

// Kuma reads only the pod (template) metadata: webhooks/injector/injector.go, controllers/pod_controller.go
const deployment = (
  meta: { annotations?: Record<string, string>; labels?: Record<string, string> },
  templateAnnotations: Record<string, string> = {},
) =>
  subjectOf({
    kind: "Deployment",
    metadata: { name: "web", namespace: "shop", ...meta },
    spec: { template: { metadata: { annotations: templateAnnotations }, spec: { containers: [] } } },
  }) as WorkloadSubject;
const cases = [
  { name: "annotation on the template only", subject: () => deployment({}, { "kuma.io/container-patches": "p" }), codes: [] },
  {
    name: "annotation on the Deployment itself",
    subject: () => deployment({ annotations: { "kuma.io/container-patches": "p" } }),
    codes: ["controller-annotation"],
  },
  {
    name: "same key and value in both (kustomize commonAnnotations)",
    subject: () => deployment({ annotations: { "kuma.io/gateway": "enabled" } }, { "kuma.io/gateway": "enabled" }),
    codes: [],
  },
  {
    name: "injection label on the Deployment only",
    subject: () => deployment({ labels: { "kuma.io/sidecar-injection": "enabled" } }),
    codes: ["controller-label"],
  },
  { name: "non-kuma annotation", subject: () => deployment({ annotations: { "deployment.kubernetes.io/revision": "3" } }), codes: [] },
];
for (const c of cases) test(c.name, () => assert.deepEqual(codes(checkRule(rule, c.subject())), c.codes));

test("the advisory names the template path", () => {
  const [finding] = checkRule(rule, deployment({ annotations: { "kuma.io/container-patches": "p" } }));
  assert.match(finding?.message ?? "", /spec\.template\.metadata\.annotations/);
});
