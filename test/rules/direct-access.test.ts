// Table tests for the direct-access rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { directAccess as rule } from "../../src/rules/direct-access.js";
import { deploymentWith, loadFixture, ruleContext, subjectOf } from "../support/context.js";
import type { RuleFinding, WorkloadSubject } from "../../src/rules/types.js";

const ctx = ruleContext();
const kinds = (findings: RuleFinding[]) => findings.map((f) => f.severity);
const pod = () => subjectOf(loadFixture("kuma-injected-pod.yaml")[0] as { kind: string }) as WorkloadSubject;

test("Kuma's own injected pod has no findings", () => assert.deepEqual(rule.check(pod(), ctx), []));
const fixture = (file: string) => subjectOf(loadFixture(file)[0] as { kind: string }) as WorkloadSubject;
test("documented usage (workload-good.yaml) has no findings", () => assert.deepEqual(rule.check(fixture("workload-good.yaml"), ctx), []));
test("workload-bad.yaml", () => assert.deepEqual(kinds(rule.check(fixture("workload-bad.yaml"), ctx)), ["error"]));

// Kuma: controllers/pod_converter.go (GetList), xds/generator/direct_access_proxy_generator.go (exact match, "*")
const cases = [
  { name: "exact service names", value: "backend_shop_svc_8080,db_shop_svc_5432", severities: [] },
  { name: "empty value is an empty list", value: "", severities: [] },
  { name: "documented wildcard", value: "*", severities: ["advisory"] },
  { name: "padded entry matches nothing", value: "a_ns_svc_80, b_ns_svc_80", severities: ["error"] },
  { name: "character outside the tag charset", value: "backend/shop", severities: ["error"] },
  { name: "empty items dropped by Kuma", value: "a_ns_svc_80,,", severities: ["advisory"] },
];
for (const c of cases) test(c.name, () => assert.deepEqual(kinds(rule.check(deploymentWith({ "kuma.io/direct-access-services": c.value }), ctx)), c.severities));

test("the wildcard advisory names the alternative", () => {
  const [finding] = rule.check(deploymentWith({ "kuma.io/direct-access-services": "*" }), ctx);
  assert.match(finding?.message ?? "", /<service>_<namespace>_svc_<port>/);
});
