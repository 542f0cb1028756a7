// A policy built from given rules, for testing the engine's mechanics apart from real rules.
import { KUMA_TEMPLATES } from "../../src/kuma/templates.js";
import type { Policy } from "../../src/policy/types.js";
import type { Action, AnyRule, Subject } from "../../src/rules/types.js";

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
