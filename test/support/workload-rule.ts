// What every workload rule's table shares: Kuma's own injected pod and documented usage
// are clean, the rule's mistake in workload-bad.yaml is found, and the rule is total.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { KNOWN_ANNOTATIONS } from "../../src/kuma/annotations.js";
import type { RuleCodes, RuleContext, RuleFinding, WorkloadSubject } from "../../src/rules/types.js";
import { deploymentWith, loadFixture, checkRule, subjectOf } from "./context.js";

/** The findings' codes (the key after `<rule-id>/`), in order: what a table row asserts. */
export const codes = (findings: readonly RuleFinding[]): string[] => findings.map((f) => f.code);
const fixture = (file: string) => subjectOf(loadFixture(file)[0] as { kind: string }) as WorkloadSubject;

/** Registers the shared tests; `badCodes` are the codes of the rule's findings on workload-bad.yaml. */
export function sharedWorkloadRuleTests(
  rule: { id: string; codes: RuleCodes; check(subject: WorkloadSubject, ctx: RuleContext): RuleFinding[] },
  badCodes: string[],
): void {
  test("Kuma's own injected pod has no findings", () => assert.deepEqual(checkRule(rule, fixture("kuma-injected-pod.yaml")), []));
  test("documented usage (workload-good.yaml) has no findings", () => assert.deepEqual(checkRule(rule, fixture("workload-good.yaml")), []));
  test("workload-bad.yaml", () => assert.deepEqual(codes(checkRule(rule, fixture("workload-bad.yaml"))), badCodes));

  // Totality: any mix of Kuma keys and short values never throws; every finding has a path,
  // a declared code with only its declared params and, with the rule id, fits a Kubernetes
  // warning (256 characters).
  const anyKey = fc.constantFrom(
    ...KNOWN_ANNOTATIONS,
    "kuma.io/container-patch",
    "kuma.io/builtindns",
    "traffic.kuma.io/exclud-inbound-ports",
  );
  const anyValue = fc.oneof(fc.string({ maxLength: 24 }), fc.stringMatching(/^[a-z0-9:;,=.* -]{0,24}$/));
  test("total over random annotations, labels and containers", () => {
    fc.assert(
      fc.property(
        fc.dictionary(anyKey, anyValue),
        fc.dictionary(fc.constantFrom("kuma.io/sidecar-injection", "kuma.io/workload", "kuma.io/mesh"), anyValue),
        fc.array(
          fc.record({ name: fc.string({ maxLength: 12 }), securityContext: fc.record({ runAsUser: fc.constantFrom(0, 1000, 5678) }) }),
          { maxLength: 3 },
        ),
        (annotations, labels, containers) => {
          const subject = deploymentWith({ ...annotations }, { labels: { ...labels }, containers, securityContext: { runAsUser: 5678 } });
          (subject.meta as { annotations: Record<string, string> }).annotations = { ...annotations };
          for (const finding of checkRule(rule, subject)) {
            assert.ok(finding.path, finding.message);
            assertDeclared(rule.codes, finding);
            assert.ok(`${rule.id}: ${finding.message}`.length <= 256, finding.message);
          }
        },
      ),
    );
  });
}

/** The finding's code is one the rule declares, and its params are among the code's declared params. */
export function assertDeclared(declared: RuleCodes, finding: RuleFinding): void {
  const doc = declared[finding.code];
  assert.ok(doc, `code ${finding.code} is not declared`);
  const allowed = Object.keys(doc.params ?? {});
  for (const name of Object.keys(finding.params ?? {}))
    assert.ok(allowed.includes(name), `param ${name} of ${finding.code} is not declared`);
}
