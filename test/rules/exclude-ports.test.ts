// Table tests for the exclude-ports rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentWith, checkRule } from "../support/context.js";
import { codes, sharedWorkloadRuleTests } from "../support/workload-rule.js";
import { excludePorts as rule } from "../../src/rules/exclude-ports.js";

sharedWorkloadRuleTests(rule, ["invalid"]);

// Kuma: pkg/transparentproxy/config/config.go::Ports.append, utils.go::parsePort
const cases = [
  { name: "documented list", key: "traffic.kuma.io/exclude-inbound-ports", value: "1234,1235", codes: [] },
  { name: "empty value", key: "traffic.kuma.io/exclude-outbound-ports", value: "", codes: [] },
  { name: "spaces fail with CNI", key: "traffic.kuma.io/exclude-outbound-ports", value: "80, 443", codes: ["cni-format"] },
  { name: "empty items fail with CNI", key: "traffic.kuma.io/exclude-outbound-ports", value: "80,,443,", codes: ["cni-format"] },
  { name: "range", key: "traffic.kuma.io/exclude-outbound-ports", value: "8000-8010", codes: ["invalid"] },
  { name: "port 0", key: "traffic.kuma.io/exclude-inbound-ports", value: "0", codes: ["invalid"] },
  { name: "port above 65535", key: "traffic.kuma.io/exclude-inbound-ports", value: "70000", codes: ["invalid"] },
];
for (const c of cases) test(c.name, () => assert.deepEqual(codes(checkRule(rule, deploymentWith({ [c.key]: c.value }))), c.codes));
