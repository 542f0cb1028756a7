// Table tests for the exclude-ports-for-uids rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentWith, checkRule } from "../support/context.js";
import { severities, sharedWorkloadRuleTests } from "../support/workload-rule.js";
import { excludePortsForUids as rule } from "../../src/rules/exclude-ports-for-uids.js";

sharedWorkloadRuleTests(rule, ["error"]);

// Kuma: pkg/transparentproxy/config/utils.go::parseExcludePortsForUIDs; iptables/builder/builder_table_nat.go
const cases = [
  { name: "single uid", value: "1000", severities: [] },
  { name: "documented protocols", value: "tcp:443:1234;udp:53:1234", severities: [] },
  { name: "ports and uid range", value: "53,3000-5000:106-108", severities: [] },
  { name: "uid above 65535", value: "443:70000", severities: ["error"] },
  { name: "uid list", value: "tcp:443:1000,1001", severities: ["error"] },
  { name: "wildcard uid", value: "*:*:*", severities: ["error"] },
  { name: "trailing ; bypasses the proxy", value: "tcp:443:1000;", severities: ["error"] },
  { name: "missing uid bypasses the proxy on those ports", value: "tcp:443:", severities: ["error"] },
  { name: "empty value is one empty entry", value: "", severities: ["error"] },
];
for (const c of cases) test(c.name, () => assert.deepEqual(severities(checkRule(rule, deploymentWith({ "traffic.kuma.io/exclude-outbound-ports-for-uids": c.value }))), c.severities));

test("the empty-entry error shows the value without it", () => {
  const [finding] = checkRule(rule, deploymentWith({ "traffic.kuma.io/exclude-outbound-ports-for-uids": "tcp:443:1000;" }));
  assert.match(finding?.message ?? "", /write "tcp:443:1000"/);
});
