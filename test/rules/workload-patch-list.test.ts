// Table tests for the workload-patch-list rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentWith, checkRule } from "../support/context.js";
import { codes, sharedWorkloadRuleTests } from "../support/workload-rule.js";
import { workloadPatchList as rule } from "../../src/rules/workload-patch-list.js";

sharedWorkloadRuleTests(rule, ["padded-name"]);

// Kuma: pkg/plugins/runtime/k8s/webhooks/injector/injector.go::loadContainerPatches (GetList, no trim)
const cases = [
  { name: "exact names", value: "p1,p2", codes: [] },
  { name: 'space after comma looks up " p2"', value: "p1, p2", codes: ["padded-name"] },
  { name: "empty items are dropped", value: "p1,,p2,", codes: ["empty-items"] },
];
for (const c of cases)
  test(c.name, () => assert.deepEqual(codes(checkRule(rule, deploymentWith({ "kuma.io/container-patches": c.value }))), c.codes));

test("the error shows the corrected value and the template path", () => {
  const [finding] = checkRule(rule, deploymentWith({ "kuma.io/container-patches": "p1, p2" }));
  assert.match(finding?.message ?? "", /"p1,p2"/);
  assert.equal(finding?.path, 'spec.template.metadata.annotations["kuma.io/container-patches"]');
});
