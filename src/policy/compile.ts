import { BUILT_IN_RULES } from "../rules/index.js";
import { KUMA_TEMPLATES } from "../kuma/templates.js";
import type { Action } from "../rules/types.js";
import type { Policy } from "./types.js";

// PLACEHOLDER: minimal policy until the policy loader lands (defaults only).
export function createDefaultPolicy(): Policy {
  const defaults = new Map<string, Action>(BUILT_IN_RULES.map((rule) => [rule.id, rule.defaultAction]));
  return {
    name: "default",
    source: "<bundled>",
    settings: { controlPlaneNamespaces: ["kuma-system"], defaultContainerPatches: [] },
    onError: "allow",
    templates: KUMA_TEMPLATES,
    rules: BUILT_IN_RULES,
    actionFor: (ruleId, severity) => (severity === "advisory" ? "warn" : (defaults.get(ruleId) ?? "deny")),
    isExempt: (_ruleId, subject) => subject.meta.namespace === "kube-system" || subject.meta.namespace === "kuma-guard",
  };
}
