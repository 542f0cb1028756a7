// Table tests for the exclude-ports-for-uids-legacy rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentWith, checkRule } from "../support/context.js";
import { codes, sharedWorkloadRuleTests } from "../support/workload-rule.js";
import { excludePortsForUidsLegacy as rule } from "../../src/rules/exclude-ports-for-uids-legacy.js";

sharedWorkloadRuleTests(rule, ["ignored"]);

// Kuma: release-2.8 pkg/transparentproxy/kubernetes/kubernetes.go; removed in 2.9 (PR #10983)
const TCP = "traffic.kuma.io/exclude-outbound-tcp-ports-for-uids";
const UDP = "traffic.kuma.io/exclude-outbound-udp-ports-for-uids";
const cases: { name: string; annotations: Record<string, string>; codes: string[] }[] = [
  { name: "documented example is ignored since 2.9", annotations: { [TCP]: "443:1234" }, codes: ["ignored"] },
  { name: "uid alone", annotations: { [TCP]: "1234" }, codes: ["invalid"] },
  { name: "trailing ;", annotations: { [UDP]: "53:1234;" }, codes: ["invalid"] },
];
for (const c of cases) test(c.name, () => assert.deepEqual(codes(checkRule(rule, deploymentWith(c.annotations))), c.codes));

const replacements: { name: string; annotations: Record<string, string>; replacement: string }[] = [
  { name: "tcp example", annotations: { [TCP]: "443:1234" }, replacement: "tcp:443:1234" },
  { name: "tcp and udp", annotations: { [TCP]: "443:1234", [UDP]: "53:1234" }, replacement: "tcp:443:1234;udp:53:1234" },
  {
    name: "merged with the existing value",
    annotations: { [TCP]: "443:1234", "traffic.kuma.io/exclude-outbound-ports-for-uids": "1000" },
    replacement: "1000;tcp:443:1234",
  },
];
for (const c of replacements) {
  test(`replacement: ${c.name}`, () => {
    const [finding] = checkRule(rule, deploymentWith(c.annotations));
    assert.ok(
      finding?.message.endsWith(`traffic.kuma.io/exclude-outbound-ports-for-uids: ${JSON.stringify(c.replacement)}`),
      finding?.message,
    );
  });
}
