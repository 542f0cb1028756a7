import { BUILT_IN_RULES } from "../rules/index.js";
import { KUMA_TEMPLATES } from "../kuma/templates.js";
import { kumaModelFor } from "../kuma/versions/index.js";
import type { Action, AnyRule, ContainerTemplates, JsonObject, Severity, Subject } from "../rules/types.js";
import { compileCustomRules } from "./custom-rules.js";
import type { CustomRuleSpec } from "./custom-rules.js";
import { PolicyLoadError } from "./errors.js";
import { compileGlobs } from "./glob.js";
import { compileLabelSelector, selectorProblems } from "./label-selector.js";
import type { LabelSelector } from "./label-selector.js";
import { deepFreeze, mergePatch } from "./merge-patch.js";
import type { Policy } from "./types.js";

// A schema-valid policy document → a Policy: actions, exemption matchers, custom-rule
// validators and merged templates are all computed here, once per load, so a request only
// does map lookups and the checks themselves.

/** The policy document as schemas/policy.schema.json describes it. */
export interface PolicyDocument {
  apiVersion: "kuma-guard.io/v1alpha1";
  kind: "Policy";
  metadata?: { name?: string };
  spec: {
    controlPlaneNamespaces?: string[];
    kuma?: { version?: string };
    defaultContainerPatches?: string[];
    templates?: { sidecar?: JsonObject; init?: JsonObject };
    onError?: "allow" | "deny";
    rules?: Record<string, { action: Action }>;
    exemptions?: ExemptionSpec[];
    customRules?: CustomRuleSpec[];
  };
}

export interface ExemptionSpec {
  namespaces?: string[];
  namespacePatterns?: string[];
  names?: string[];
  kinds?: string[];
  objectSelector?: LabelSelector;
  rules: string[];
}

/** The defaults of DESIGN.md, identical to policies/default.yaml (a test keeps them equal). */
export const DEFAULT_POLICY_DOCUMENT: PolicyDocument = {
  apiVersion: "kuma-guard.io/v1alpha1",
  kind: "Policy",
  metadata: { name: "default" },
  spec: {
    controlPlaneNamespaces: ["kuma-system"],
    templates: {},
    onError: "allow",
    rules: {},
    exemptions: [{ namespaces: ["kube-system", "kuma-guard"], rules: ["*"] }],
    customRules: [],
  },
};

const DEFAULT_CONTROL_PLANE_NAMESPACES = ["kuma-system"];
const ALL_RULES = "*";
const SELECTOR_FIELDS = ["namespaces", "namespacePatterns", "names", "kinds", "objectSelector"] as const;

interface ActionPair {
  error: Action;
  advisory: Action;
}
/** A rule the policy does not know (never happens for its own rules): errors deny, advisories warn. */
const FALLBACK_ACTIONS: ActionPair = { error: "deny", advisory: "warn" };

export interface CompileOptions {
  /** metadata.name when the document has none (the loader passes the file's base name). */
  fallbackName?: string;
  /** The built-in rules; tests pass fakes to exercise the mechanics. */
  builtInRules?: readonly AnyRule[];
}

/**
 * Compiles a schema-valid document. Throws PolicyLoadError listing every semantic problem
 * (`<source>: <field>: <text>`); `warnings` are problems that do not stop the policy.
 */
export function compilePolicy(document: PolicyDocument, source: string, options: CompileOptions = {}): Policy {
  const { spec } = document;
  const builtInRules = options.builtInRules ?? BUILT_IN_RULES;
  const problems: string[] = [];
  const warnings: string[] = [];
  const controlPlaneNamespaces = Object.freeze([...(spec.controlPlaneNamespaces ?? DEFAULT_CONTROL_PLANE_NAMESPACES)]);

  // Custom rules: ids must not reuse a built-in id or repeat.
  const builtInIds = builtInRules.map((rule) => rule.id);
  const builtIn = new Set(builtInIds);
  const customSpecs = spec.customRules ?? [];
  const seen = new Set<string>();
  customSpecs.forEach((rule, index) => {
    if (builtIn.has(rule.id))
      problems.push(
        `spec.customRules[${index}].id: ${rule.id} is a built-in rule id; pick another (set a built-in rule's action under spec.rules)`,
      );
    else if (seen.has(rule.id)) problems.push(`spec.customRules[${index}].id: ${rule.id} is used by an earlier custom rule`);
    seen.add(rule.id);
  });
  const custom = compileCustomRules(customSpecs);
  problems.push(...custom.problems);

  // Actions, precomputed per rule and severity: a rule's own entry wins over "*" (every
  // built-in rule); a custom rule's action is part of its spec.
  const actions = new Map<string, ActionPair>();
  for (const rule of builtInRules) {
    const explicit = spec.rules?.[rule.id]?.action ?? spec.rules?.[ALL_RULES]?.action;
    actions.set(rule.id, explicit ? { error: explicit, advisory: explicit } : { error: rule.defaultAction, advisory: "warn" });
  }
  for (const rule of customSpecs) actions.set(rule.id, { error: rule.action, advisory: rule.action });

  // Exemptions.
  const knownIds = new Set([...builtInIds, ...customSpecs.map((rule) => rule.id)]);
  const exemptions = (spec.exemptions ?? []).map((entry, index) => {
    const field = `spec.exemptions[${index}]`;
    if (!SELECTOR_FIELDS.some((name) => entry[name] !== undefined)) {
      problems.push(`${field}: needs at least one of ${SELECTOR_FIELDS.join(", ")} (an entry without one would exempt every object)`);
    }
    entry.rules.forEach((id, i) => {
      if (id !== ALL_RULES && !knownIds.has(id))
        problems.push(`${field}.rules[${i}]: ${id} is neither a built-in rule id nor a custom rule of this policy`);
    });
    for (const problem of entry.objectSelector ? selectorProblems(entry.objectSelector) : []) {
      problems.push(`${field}.objectSelector.${problem.path}: ${problem.message}`);
    }
    const guard = controlPlaneGuard(entry, controlPlaneNamespaces);
    if (guard?.level === "error") problems.push(`${field}: ${guard.message}`);
    if (guard?.level === "warning") warnings.push(`${source}: ${field}: ${guard.message}`);
    return { matches: compileExemption(entry), ids: new Set(entry.rules) };
  });

  // Templates: RFC 7386 merge patch over Kuma's containers, frozen.
  const templates: ContainerTemplates =
    spec.templates?.sidecar || spec.templates?.init
      ? deepFreeze({
          sidecar: mergePatch(KUMA_TEMPLATES.sidecar, spec.templates.sidecar ?? {}) as JsonObject,
          init: mergePatch(KUMA_TEMPLATES.init, spec.templates.init ?? {}) as JsonObject,
        })
      : KUMA_TEMPLATES;

  const kumaVersion = spec.kuma?.version;
  if (kumaVersion !== undefined) {
    const model = kumaModelFor(kumaVersion);
    if ("error" in model) problems.push(`spec.kuma.version: ${model.error}`);
  }

  if (problems.length > 0) throw new PolicyLoadError(problems.map((problem) => `${source}: ${problem}`));

  // Per rule id, the exemption matchers that can switch it off.
  const exemptionsByRule = new Map<string, ((subject: Subject) => boolean)[]>();
  const wildcard = exemptions.filter((e) => e.ids.has(ALL_RULES)).map((e) => e.matches);
  for (const id of knownIds)
    exemptionsByRule.set(
      id,
      exemptions.filter((e) => e.ids.has(ALL_RULES) || e.ids.has(id)).map((e) => e.matches),
    );

  const rules: readonly AnyRule[] = Object.freeze([...builtInRules, ...custom.rules]);
  return Object.freeze({
    name: document.metadata?.name ?? options.fallbackName ?? "policy",
    source,
    settings: Object.freeze({
      controlPlaneNamespaces,
      defaultContainerPatches: Object.freeze([...(spec.defaultContainerPatches ?? [])]),
    }),
    ...(kumaVersion !== undefined ? { kumaVersion } : {}),
    overridesDefaultPatches: spec.defaultContainerPatches !== undefined,
    templatePatch: deepFreeze({ sidecar: spec.templates?.sidecar ?? {}, init: spec.templates?.init ?? {} }),
    onError: spec.onError ?? "allow",
    templates,
    rules,
    customRuleIds: Object.freeze(customSpecs.map((rule) => rule.id)),
    warnings: Object.freeze(warnings),
    actionFor: (ruleId: string, severity: Severity): Action => (actions.get(ruleId) ?? FALLBACK_ACTIONS)[severity],
    isExempt: (ruleId: string, subject: Subject): boolean => {
      const matchers = exemptionsByRule.get(ruleId) ?? wildcard;
      for (const matches of matchers) if (matches(subject)) return true;
      return false;
    },
  });
}

/** The namespace an exemption compares with: a Namespace object is matched by its own name. */
export function namespaceOf(subject: Subject): string {
  return subject.kind === "Namespace" ? subject.meta.name : subject.meta.namespace;
}

/** One entry's predicate: every field present must match (AND); objectSelector reads the object's own labels. */
function compileExemption(entry: ExemptionSpec): (subject: Subject) => boolean {
  const checks: ((subject: Subject) => boolean)[] = [];
  if (entry.namespaces) {
    const namespaces = new Set(entry.namespaces);
    checks.push((subject) => namespaces.has(namespaceOf(subject)));
  }
  if (entry.namespacePatterns) {
    const matches = compileGlobs(entry.namespacePatterns);
    checks.push((subject) => matches(namespaceOf(subject)));
  }
  if (entry.names) {
    const matches = compileGlobs(entry.names);
    checks.push((subject) => matches(subject.meta.name));
  }
  if (entry.kinds) {
    const kinds = new Set(entry.kinds);
    checks.push((subject) => kinds.has(subject.kind));
  }
  if (entry.objectSelector) {
    const matches = compileLabelSelector(entry.objectSelector);
    checks.push((subject) => matches(subject.meta.labels));
  }
  return (subject) => {
    for (const check of checks) if (!check(subject)) return false;
    return true;
  };
}

/**
 * ContainerPatches live in the control-plane namespaces, and Kuma applies them to every pod
 * that names them: exempting all of them from all rules would switch kuma-guard off where it
 * matters most. An entry that does that is an error; one narrowed by names or objectSelector
 * is allowed with a warning.
 */
function controlPlaneGuard(
  entry: ExemptionSpec,
  controlPlaneNamespaces: readonly string[],
): { level: "error" | "warning"; message: string } | undefined {
  if (!entry.rules.includes(ALL_RULES)) return undefined;
  if (entry.kinds && !entry.kinds.includes("ContainerPatch")) return undefined;
  const patterns = entry.namespacePatterns ? compileGlobs(entry.namespacePatterns) : undefined;
  const hit = controlPlaneNamespaces.find((ns) => (!entry.namespaces || entry.namespaces.includes(ns)) && (!patterns || patterns(ns)));
  if (hit === undefined) return undefined;
  if (entry.names || entry.objectSelector) {
    return {
      level: "warning",
      message: `exempts some ContainerPatches in the control-plane namespace ${hit} from all rules; Kuma applies them to every pod that names them`,
    };
  }
  return {
    level: "error",
    message: `exempts every ContainerPatch in the control-plane namespace ${hit} from all rules; Kuma reads its patches there, so they must be checked (list the rules to skip, or narrow the entry with kinds, names or objectSelector)`,
  };
}

/** The bundled defaults as a Policy, without reading a file (tests, and a fallback for embedders). */
export function createDefaultPolicy(): Policy {
  return compilePolicy(DEFAULT_POLICY_DOCUMENT, "<bundled>");
}
