// Table tests for the sidecar-injection rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentWith, ruleContext, subjectOf } from "../support/context.js";
import { codes, sharedWorkloadRuleTests } from "../support/workload-rule.js";
import type { WorkloadSubject } from "../../src/rules/types.js";
import { sidecarInjection as rule } from "../../src/rules/sidecar-injection.js";

const ctx = ruleContext();
sharedWorkloadRuleTests(rule, ["invalid-value"]);

// Kuma: metadata/annotations.go::GetBooleanWithDefault, injector/precheck.go, charts cp-webhooks-and-secrets.yaml
const ns = (labels: Record<string, string>, annotations: Record<string, string> = {}) => subjectOf({ kind: "Namespace", metadata: { name: "shop", labels, annotations } });
const cases = [
  { name: "template label enabled", subject: () => deploymentWith({}, { labels: { "kuma.io/sidecar-injection": "enabled" } }), codes: [] },
  { name: "template label true", subject: () => deploymentWith({}, { labels: { "kuma.io/sidecar-injection": "true" } }), codes: [] },
  { name: "template label capitalised", subject: () => deploymentWith({}, { labels: { "kuma.io/sidecar-injection": "Enabled" } }), codes: ["invalid-value"] },
  { name: "template label on", subject: () => deploymentWith({}, { labels: { "kuma.io/sidecar-injection": "on" } }), codes: ["invalid-value"] },
  { name: "template label yes (deprecated)", subject: () => deploymentWith({}, { labels: { "kuma.io/sidecar-injection": "yes" } }), codes: ["deprecated"] },
  { name: "template label no (deprecated)", subject: () => deploymentWith({}, { labels: { "kuma.io/sidecar-injection": "no" } }), codes: ["deprecated"] },
  { name: "set as a template annotation (ignored)", subject: () => deploymentWith({ "kuma.io/sidecar-injection": "enabled" }), codes: ["pod-annotation"] },
  { name: "namespace enabled", subject: () => ns({ "kuma.io/sidecar-injection": "enabled" }), codes: [] },
  { name: "namespace yes: webhook selector skips it", subject: () => ns({ "kuma.io/sidecar-injection": "yes" }), codes: ["namespace-yes"] },
  { name: "namespace invalid word", subject: () => ns({ "kuma.io/sidecar-injection": "TRUE" }), codes: ["invalid-value"] },
  { name: "namespace annotation", subject: () => ns({}, { "kuma.io/sidecar-injection": "enabled" }), codes: ["namespace-annotation"] },
];
for (const c of cases) test(c.name, () => assert.deepEqual(codes(rule.check(c.subject() as WorkloadSubject, ctx)), c.codes));

test("the annotation advisory shows the label to use", () => {
  const [finding] = rule.check(deploymentWith({ "kuma.io/sidecar-injection": "enabled" }), ctx);
  assert.match(finding?.message ?? "", /spec\.template\.metadata\.labels: \{kuma\.io\/sidecar-injection: "enabled"\}/);
});
