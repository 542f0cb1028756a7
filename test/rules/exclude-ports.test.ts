// Table tests for the exclude-ports rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentWith, checkRule } from "../support/context.js";
import { severities, sharedWorkloadRuleTests } from "../support/workload-rule.js";
import { excludePorts as rule } from "../../src/rules/exclude-ports.js";

sharedWorkloadRuleTests(rule, ["error"]);

// Kuma: pkg/transparentproxy/config/config.go::Ports.append, utils.go::parsePort
const cases = [
  { name: "documented list", key: "traffic.kuma.io/exclude-inbound-ports", value: "1234,1235", severities: [] },
  { name: "empty value", key: "traffic.kuma.io/exclude-outbound-ports", value: "", severities: [] },
  { name: "spaces fail with CNI", key: "traffic.kuma.io/exclude-outbound-ports", value: "80, 443", severities: ["advisory"] },
  { name: "empty items fail with CNI", key: "traffic.kuma.io/exclude-outbound-ports", value: "80,,443,", severities: ["advisory"] },
  { name: "range", key: "traffic.kuma.io/exclude-outbound-ports", value: "8000-8010", severities: ["error"] },
  { name: "port 0", key: "traffic.kuma.io/exclude-inbound-ports", value: "0", severities: ["error"] },
  { name: "port above 65535", key: "traffic.kuma.io/exclude-inbound-ports", value: "70000", severities: ["error"] },
];
for (const c of cases) test(c.name, () => assert.deepEqual(severities(checkRule(rule, deploymentWith({ [c.key]: c.value }))), c.severities));
