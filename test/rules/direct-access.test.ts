// Table tests for the direct-access rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentWith, checkRule } from "../support/context.js";
import { severities, sharedWorkloadRuleTests } from "../support/workload-rule.js";
import { directAccess as rule } from "../../src/rules/direct-access.js";

sharedWorkloadRuleTests(rule, ["error"]);

// Kuma: controllers/pod_converter.go (GetList), xds/generator/direct_access_proxy_generator.go (exact match, "*")
const cases = [
  { name: "exact service names", value: "backend_shop_svc_8080,db_shop_svc_5432", severities: [] },
  { name: "empty value is an empty list", value: "", severities: [] },
  { name: "documented wildcard", value: "*", severities: ["advisory"] },
  { name: "padded entry matches nothing", value: "a_ns_svc_80, b_ns_svc_80", severities: ["error"] },
  { name: "character outside the tag charset", value: "backend/shop", severities: ["error"] },
  { name: "empty items dropped by Kuma", value: "a_ns_svc_80,,", severities: ["advisory"] },
];
for (const c of cases) test(c.name, () => assert.deepEqual(severities(checkRule(rule, deploymentWith({ "kuma.io/direct-access-services": c.value }))), c.severities));

test("the wildcard advisory names the alternative", () => {
  const [finding] = checkRule(rule, deploymentWith({ "kuma.io/direct-access-services": "*" }));
  assert.match(finding?.message ?? "", /<service>_<namespace>_svc_<port>/);
});
