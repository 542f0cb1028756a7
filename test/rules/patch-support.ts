// Runs the ContainerPatch rules on a subject, as the review engine would (rule id and full code added).
import { findingCode } from "../../src/rules/types.js";
import type { AnyRule, Finding, RuleContext, StoredContainerPatch, Subject } from "../../src/rules/types.js";
import { contextFor, loadFixture, subjectOf } from "../support/context.js";
import type { TestInputs } from "../support/context.js";
import { BUILT_IN_RULES } from "../../src/rules/index.js";

/** The ContainerPatch rules and workload-missing-patch, in evaluation order (patch-in-use is inactive without a references index). */
export const PATCH_RULES: readonly AnyRule[] = BUILT_IN_RULES.filter(
  (rule) => rule.id.startsWith("patch-") || rule.id === "workload-missing-patch",
);

/** Every finding of the patch rules that apply to the subject's target. */
export function findingsOf(subject: Subject, inputs: TestInputs = {}): Finding[] {
  const ctx = contextFor(subject, inputs);
  const findings: Finding[] = [];
  for (const rule of PATCH_RULES) {
    if (!(rule.targets as readonly string[]).includes(subject.target)) continue;
    const check = rule.check as (s: Subject, c: RuleContext) => ReturnType<AnyRule["check"]>;
    for (const finding of check(subject, ctx)) findings.push({ ruleId: rule.id, ...finding, code: findingCode(rule.id, finding.code) });
  }
  return findings;
}

/** The findings' codes (`patch-apply/block-fails`), sorted: compact for deepEqual. */
export function codesOf(findings: readonly Finding[]): string[] {
  return findings.map((f) => f.code).sort();
}

/** A ContainerPatch subject from a spec (kuma-system unless said otherwise). */
export function patchSubject(spec: unknown, options: { name?: string; namespace?: string } = {}): Subject {
  return subjectOf({
    apiVersion: "kuma.io/v1alpha1",
    kind: "ContainerPatch",
    metadata: { name: options.name ?? "p1", namespace: options.namespace ?? "kuma-system" },
    spec,
  });
}

/** The subject of the first document of a fixture file. */
export function fixtureSubject(file: string): Subject {
  return subjectOf(loadFixture(file)[0] as { kind: string });
}

/** A catalog entry from a spec. */
export function stored(name: string, spec: StoredContainerPatch["spec"], namespace = "kuma-system"): StoredContainerPatch {
  return { name, namespace, spec };
}
