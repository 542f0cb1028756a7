// Table tests for the exclude-ports-for-uids rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentWith, checkRule } from "../support/context.js";
import { codes, sharedWorkloadRuleTests } from "../support/workload-rule.js";
import { excludePortsForUids as rule } from "../../src/rules/exclude-ports-for-uids.js";

sharedWorkloadRuleTests(rule, ["empty-entry"]);

// Kuma: pkg/transparentproxy/config/utils.go::parseExcludePortsForUIDs; iptables/builder/builder_table_nat.go
const cases: { name: string; value: string; codes: string[]; reason?: RegExp }[] = [
  { name: "single uid", value: "1000", codes: [] },
  { name: "documented protocols", value: "tcp:443:1234;udp:53:1234", codes: [] },
  { name: "ports and uid range", value: "53,3000-5000:106-108", codes: [] },
  { name: "uid above 65535", value: "443:70000", codes: ["invalid"], reason: /invalid UID range/ },
  { name: "uid list", value: "tcp:443:1000,1001", codes: ["invalid"], reason: /It should either be a single item or a range/ },
  { name: "wildcard uid", value: "*:*:*", codes: ["invalid"], reason: /wildcard/ },
  { name: "trailing ; bypasses the proxy", value: "tcp:443:1000;", codes: ["empty-entry"] },
  { name: "missing uid bypasses the proxy on those ports", value: "tcp:443:", codes: ["no-uid"] },
  { name: "empty value is one empty entry", value: "", codes: ["empty-entry"] },
];
// Kuma's parser tells the invalid values apart only by its message: rows assert it as the `reason` param.
for (const c of cases) {
  test(c.name, () => {
    const findings = checkRule(rule, deploymentWith({ "traffic.kuma.io/exclude-outbound-ports-for-uids": c.value }));
    assert.deepEqual(codes(findings), c.codes);
    if (c.reason) assert.match(String(findings[0]?.params?.reason), c.reason);
  });
}

test("the empty-entry error shows the value without it", () => {
  const [finding] = checkRule(rule, deploymentWith({ "traffic.kuma.io/exclude-outbound-ports-for-uids": "tcp:443:1000;" }));
  assert.match(finding?.message ?? "", /write "tcp:443:1000"/);
});
