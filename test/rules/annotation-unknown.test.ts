// Table tests for the annotation-unknown rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentWith, checkRule } from "../support/context.js";
import { codes, sharedWorkloadRuleTests } from "../support/workload-rule.js";
import { annotationUnknown as rule } from "../../src/rules/annotation-unknown.js";

sharedWorkloadRuleTests(rule, ["unknown"]);

// Kuma: pkg/plugins/runtime/k8s/metadata/annotations.go (the keys Kuma reads)
const cases: { name: string; annotations: Record<string, string>; codes: string[] }[] = [
  { name: "known keys", annotations: { "kuma.io/container-patches": "p", "traffic.kuma.io/exclude-outbound-ports": "80" }, codes: [] },
  { name: "non-kuma keys", annotations: { "example.com/x": "1" }, codes: [] },
  { name: "prometheus aggregate key", annotations: { "prometheus.metrics.kuma.io/aggregate-app-port": "8080" }, codes: [] },
  { name: "typo", annotations: { "kuma.io/container-patch": "p" }, codes: ["unknown"] },
  { name: "removed spelling", annotations: { "kuma.io/builtindns": "enabled" }, codes: ["removed"] },
];
for (const c of cases) test(c.name, () => assert.deepEqual(codes(checkRule(rule, deploymentWith(c.annotations))), c.codes));

test("did-you-mean by edit distance", () => {
  const [finding] = checkRule(rule, deploymentWith({ "kuma.io/container-patch": "p" }));
  assert.match(finding?.message ?? "", /did you mean kuma\.io\/container-patches\?/);
});
