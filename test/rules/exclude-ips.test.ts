// Table tests for the exclude-ips rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentWith, checkRule } from "../support/context.js";
import { codes, sharedWorkloadRuleTests } from "../support/workload-rule.js";
import { excludeIps as rule } from "../../src/rules/exclude-ips.js";

sharedWorkloadRuleTests(rule, ["invalid"]);

// Kuma: pkg/transparentproxy/config/utils.go::validateIP; app/cni/pkg/cni/annotations_linux.go::validateIPs
const cases = [
  { name: "addresses and CIDRs", value: "10.0.0.1,172.16.0.0/16,fe80::1,fe80::/10", codes: [] },
  { name: "items trimmed", value: "10.0.0.1, 10.0.0.2", codes: [] },
  { name: "hostname", value: "db.example.com", codes: ["invalid"] },
  { name: "address range", value: "10.0.0.1-10.0.0.9", codes: ["invalid"] },
  { name: "trailing comma", value: "10.0.0.1,", codes: ["invalid"] },
];
for (const c of cases)
  test(c.name, () =>
    assert.deepEqual(codes(checkRule(rule, deploymentWith({ "traffic.kuma.io/exclude-outbound-ips": c.value }))), c.codes),
  );
