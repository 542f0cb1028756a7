// A policy built from given rules, for testing the engine's mechanics apart from real rules.
import { KUMA_TEMPLATES } from "../../src/kuma/templates.js";
import type { Policy } from "../../src/policy/types.js";
import { advisory, error } from "../../src/rules/types.js";
import { createDefaultPolicy } from "../../src/policy/compile.js";
import type { Action, AnyRule, Rule, RuleFinding, Subject, WorkloadSubject } from "../../src/rules/types.js";

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
  codes: { bad: { when: "a value is bad" }, meh: { when: "a value is meh" } },
  check: (subject) =>
    Object.entries(subject.template.annotations).flatMap(([key, value]): RuleFinding<"bad" | "meh">[] =>
      value === "bad" ? [error("bad", `${key} is bad`)] : value === "meh" ? [advisory("meh", `${key} is meh`)] : [],
    ),
};

/** A rule with a bug: it throws on every workload. */
export const fakeThrowingRule: Rule<Subject> = {
  id: "fake-throws",
  summary: "a bug",
  defaultAction: "deny",
  targets: ["workload"],
  codes: {},
  check: () => {
    throw new Error("boom");
  },
};

/** The label a test object carries to ask for findings: `deny`, `warn`, `audit`, `throw`, joined by `_`. */
export const ASK = "test.kuma-guard.io/findings";
/** The fake rules of askingPolicy() and their actions. */
export const ASKING_ACTIONS: Readonly<Record<string, Action>> = {
  "fake-deny": "deny",
  "fake-warn": "warn",
  "fake-audit": "audit",
  "fake-throw": "deny",
};

/**
 * The bundled policy with only fake rules, which find what an object's ASK label asks for,
 * on every kind: deterministic findings whatever the real rules do. `message` words each finding.
 */
export function askingPolicy(message: (trigger: string, subject: Subject) => string = (trigger) => `${trigger} asked for`): Policy {
  const askingRule = (id: string, trigger: string, severity: "error" | "advisory"): Rule<Subject> => ({
    id,
    summary: `finds "${trigger}" in the ${ASK} label`,
    defaultAction: "deny",
    targets: ["containerpatch", "workload", "namespace"],
    codes: { asked: { when: `the ${ASK} label asks for it` } },
    check(subject) {
      if (!(subject.meta.labels[ASK] ?? "").split("_").includes(trigger)) return [];
      if (trigger === "throw") throw new Error("boom");
      return [{ severity, code: "asked", message: message(trigger, subject), path: "metadata.labels" }];
    },
  });
  return {
    ...createDefaultPolicy(),
    name: "fake",
    onError: "allow",
    rules: [
      askingRule("fake-deny", "deny", "error"),
      askingRule("fake-warn", "warn", "advisory"),
      askingRule("fake-audit", "audit", "error"),
      askingRule("fake-throw", "throw", "error"),
    ],
    actionFor: (ruleId) => ASKING_ACTIONS[ruleId] ?? "off",
    isExempt: () => false,
  };
}
