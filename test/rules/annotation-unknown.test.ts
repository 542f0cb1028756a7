// Table tests for the annotation-unknown rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { KNOWN_ANNOTATIONS } from "../../src/kuma/annotations.js";
import { annotationUnknown as rule } from "../../src/rules/annotation-unknown.js";
import { deploymentWith, loadFixture, ruleContext, subjectOf } from "../support/context.js";
import type { RuleFinding, WorkloadSubject } from "../../src/rules/types.js";

const ctx = ruleContext();
const kinds = (findings: RuleFinding[]) => findings.map((f) => f.severity);
const pod = () => subjectOf(loadFixture("kuma-injected-pod.yaml")[0] as { kind: string }) as WorkloadSubject;

test("Kuma's own injected pod has no findings", () => assert.deepEqual(rule.check(pod(), ctx), []));
const fixture = (file: string) => subjectOf(loadFixture(file)[0] as { kind: string }) as WorkloadSubject;
test("documented usage (workload-good.yaml) has no findings", () => assert.deepEqual(rule.check(fixture("workload-good.yaml"), ctx), []));
test("workload-bad.yaml", () => assert.deepEqual(kinds(rule.check(fixture("workload-bad.yaml"), ctx)), ["advisory"]));

// Kuma: pkg/plugins/runtime/k8s/metadata/annotations.go (the keys Kuma reads)
const cases: { name: string; annotations: Record<string, string>; severities: string[] }[] = [
  { name: "known keys", annotations: { "kuma.io/container-patches": "p", "traffic.kuma.io/exclude-outbound-ports": "80" }, severities: [] },
  { name: "non-kuma keys", annotations: { "example.com/x": "1" }, severities: [] },
  { name: "prometheus aggregate key", annotations: { "prometheus.metrics.kuma.io/aggregate-app-port": "8080" }, severities: [] },
  { name: "typo", annotations: { "kuma.io/container-patch": "p" }, severities: ["advisory"] },
  { name: "removed spelling", annotations: { "kuma.io/builtindns": "enabled" }, severities: ["advisory"] },
];
for (const c of cases) test(c.name, () => assert.deepEqual(kinds(rule.check(deploymentWith(c.annotations), ctx)), c.severities));

test("did-you-mean by edit distance", () => {
  const [finding] = rule.check(deploymentWith({ "kuma.io/container-patch": "p" }), ctx);
  assert.match(finding?.message ?? "", /did you mean kuma\.io\/container-patches\?/);
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
