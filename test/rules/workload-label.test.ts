// Table tests for the workload-label rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentWith, checkRule } from "../support/context.js";
import { sharedWorkloadRuleTests } from "../support/workload-rule.js";
import { workloadLabel as rule } from "../../src/rules/workload-label.js";

sharedWorkloadRuleTests(rule, ["manual-label"]);

// Kuma: pkg/plugins/runtime/k8s/webhooks/pod_validator.go
test("no kuma.io/workload label", () => assert.deepEqual(checkRule(rule, deploymentWith({})), []));
test("user-set kuma.io/workload label", () => {
  const [finding] = checkRule(rule, deploymentWith({}, { labels: { "kuma.io/workload": "web" } }));
  assert.equal(finding?.code, "manual-label");
  assert.match(finding?.message ?? "", /^cannot manually set kuma.io\/workload label on Pod; it is automatically managed by Kuma/);
  assert.equal(finding?.path, 'spec.template.metadata.labels["kuma.io/workload"]');
});
