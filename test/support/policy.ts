// A policy built from given rules, for testing the engine's mechanics apart from real rules.
import { KUMA_TEMPLATES } from "../../src/kuma/templates.js";
import type { Policy } from "../../src/policy/types.js";
import { advisory, error } from "../../src/rules/types.js";
import type { Action, AnyRule, Rule, Subject, WorkloadSubject } from "../../src/rules/types.js";

export function policyWith(
  rules: readonly AnyRule[],
  options: { actions?: Record<string, Action>; exempt?: (ruleId: string, subject: Subject) => boolean; onError?: "allow" | "deny" } = {},
): Policy {
  const byId = new Map(rules.map((rule) => [rule.id, rule]));
  return {
    name: "test",
    source: "<test>",
    settings: { controlPlaneNamespaces: ["kuma-system"], defaultContainerPatches: [] },
    onError: options.onError ?? "allow",
    templates: KUMA_TEMPLATES,
    rules,
    actionFor(ruleId, severity) {
      const explicit = options.actions?.[ruleId];
      if (explicit) return explicit;
      return severity === "advisory" ? "warn" : (byId.get(ruleId)?.defaultAction ?? "deny");
    },
    isExempt: options.exempt ?? (() => false),
  };
}

/** Flags every template annotation whose value is "bad" (error) or "meh" (advisory). */
export const fakeAnnotationRule: Rule<WorkloadSubject> = {
  id: "fake-annotation",
  summary: "flags annotation values bad and meh",
  defaultAction: "deny",
  targets: ["workload"],
  check: (subject) =>
    Object.entries(subject.template.annotations).flatMap(([key, value]) =>
      value === "bad" ? [error(`${key} is bad`)] : value === "meh" ? [advisory(`${key} is meh`)] : [],
    ),
};
