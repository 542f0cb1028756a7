// What every workload rule's table shares: Kuma's own injected pod and documented usage
// are clean, the rule's mistake in workload-bad.yaml is found, and the rule is total.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { KNOWN_ANNOTATIONS } from "../../src/kuma/annotations.js";
import type { RuleContext, RuleFinding, Severity, WorkloadSubject } from "../../src/rules/types.js";
import { deploymentWith, loadFixture, checkRule, subjectOf } from "./context.js";

export const severities = (findings: RuleFinding[]): Severity[] => findings.map((f) => f.severity);
const fixture = (file: string) => subjectOf(loadFixture(file)[0] as { kind: string }) as WorkloadSubject;

/** Registers the shared tests; `badSeverities` are the rule's findings on workload-bad.yaml. */
export function sharedWorkloadRuleTests(
  rule: { id: string; check(subject: WorkloadSubject, ctx: RuleContext): RuleFinding[] },
  badSeverities: Severity[],
): void {
    test("Kuma's own injected pod has no findings", () => assert.deepEqual(checkRule(rule, fixture("kuma-injected-pod.yaml")), []));
  test("documented usage (workload-good.yaml) has no findings", () => assert.deepEqual(checkRule(rule, fixture("workload-good.yaml")), []));
  test("workload-bad.yaml", () => assert.deepEqual(severities(checkRule(rule, fixture("workload-bad.yaml"))), badSeverities));

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
          for (const finding of checkRule(rule, subject)) {
            assert.ok(finding.path, finding.message);
            assert.ok(`${rule.id}: ${finding.message}`.length <= 256, finding.message);
          }
        },
      ),
    );
  });
}
