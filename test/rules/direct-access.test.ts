// Table tests for the direct-access rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { KNOWN_ANNOTATIONS } from "../../src/kuma/annotations.js";
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

// Totality: any mix of Kuma keys and short values never throws; every finding has a path
// and, with the rule id, fits a Kubernetes warning (256 characters).
const anyKey = fc.constantFrom(...KNOWN_ANNOTATIONS, "kuma.io/container-patch", "kuma.io/builtindns", "traffic.kuma.io/exclud-inbound-ports");
const anyValue = fc.oneof(fc.string({ maxLength: 24 }), fc.stringMatching(/^[a-z0-9:;,=.* -]{0,24}$/));
test("total over random annotations, labels and containers", () => {
  fc.assert(
    fc.property(
      fc.dictionary(anyKey, anyValue),
      fc.dictionary(fc.constantFrom("kuma.io/sidecar-injection", "kuma.io/workload", "kuma.io/mesh"), anyValue),
      fc.array(fc.record({ name: fc.string({ maxLength: 12 }), securityContext: fc.record({ runAsUser: fc.constantFrom(0, 1000, 5678) }) }), { maxLength: 3 }),
      (annotations, labels, containers) => {
        const subject = deploymentWith({ ...annotations }, { labels: { ...labels }, containers, securityContext: { runAsUser: 5678 } });
        (subject.meta as { annotations: Record<string, string> }).annotations = { ...annotations };
        for (const finding of rule.check(subject, ctx)) {
          assert.ok(finding.path, finding.message);
          assert.ok(`${rule.id}: ${finding.message}`.length <= 256, finding.message);
        }
      },
    ),
  );
});
