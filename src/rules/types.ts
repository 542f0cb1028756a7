// The contract between rules, the review engine and the policy layer.
// Rules are pure: subject + the review's analysis in, findings out. They never decide
// whether a finding denies or warns; the policy maps (rule id, severity) to an action.

import type { ReviewAnalysis } from "../kuma/analysis.js";
import { problem } from "../kuma/model.js";
import type { Problem, ProblemParams, Subject, ContainerPatchSubject, WorkloadSubject, NamespaceSubject } from "../kuma/model.js";

// Rules speak the domain's vocabulary: re-exported so a rule file imports from one place.
export type {
  CatalogView,
  ContainerPatchSubject,
  ContainerTemplates,
  JsonObject,
  KumaSettings,
  Labels,
  NamespaceSubject,
  ObjectMeta,
  PatchReferences,
  PatchUsers,
  Severity,
  StoredContainerPatch,
  Subject,
  Target,
  WorkloadKind,
  WorkloadSubject,
} from "../kuma/model.js";
export { describeSubject, WORKLOAD_KINDS } from "../kuma/model.js";

/** Machine-readable values of a finding (the offending value, the fix): documented per code. */
export type FindingParams = ProblemParams;

/** What a rule reports; the engine adds the rule id and turns `code` into `<rule-id>/<code>`. */
export type RuleFinding<C extends string = string> = Problem<C>;

/** A finding as the engine reports it: `code` is the stable `<rule-id>/<kebab-case>`. */
export interface Finding extends RuleFinding {
  ruleId: string;
}

/** What a code means, for its docs page: when it fires and what each param holds. */
export interface CodeDoc {
  readonly when: string;
  readonly params?: Readonly<Record<string, string>>;
}

/** A rule's codes, keyed by the kebab-case part after `<rule-id>/`: never removed or reused. */
export type RuleCodes<C extends string = string> = Readonly<Record<C, CodeDoc>>;

/**
 * Findings one rule reports on one object at most; the engine counts the rest in one more
 * finding (`<rule-id>/more-findings`). A pathological object (a patch with thousands of
 * blocks, thousands of annotation keys) would otherwise answer with a warning per item: the
 * API server passes every one to kubectl, and nobody reads past the first few. Rules whose
 * per-finding work is costly stop computing details past this many.
 */
export const MAX_FINDINGS_PER_RULE = 10;

/**
 * Adds the finding for one more item of a list: built while the engine shows findings one by
 * one, else the last one pushed again, which the engine only counts (`more-findings`). A 256 KiB
 * annotation holds ~60,000 items: past the shown ones, an item costs no message. The items
 * past the limit must have the severity of the last finding pushed.
 */
export function pushItemFinding<C extends string>(findings: RuleFinding<C>[], build: () => RuleFinding<C>): void {
  findings.push(findings.length < MAX_FINDINGS_PER_RULE ? build() : findings[findings.length - 1]!);
}

/** The full, stable code of a finding: `exclude-ports-for-uids/empty-entry`. */
export const findingCode = (ruleId: string, key: string): string => `${ruleId}/${key}`;

/** Everything a rule may read besides the subject: the settings, templates and catalog in
 *  effect, and what the review derives from them for this subject, each computed once. */
export type RuleContext = ReviewAnalysis;

/** Action the policy assigns to a finding. */
export type Action = "deny" | "warn" | "audit" | "off";

export interface Rule<S extends Subject = Subject, C extends string = string> {
  /** Stable id: never renamed or reused; listed in rules/index.ts and docs/rules.md. */
  readonly id: string;
  /** One line: what the rule makes sure of. */
  readonly summary: string;
  /** Action for the rule's errors when the policy does not set one (advisories warn). */
  readonly defaultAction: "deny" | "warn";
  readonly targets: readonly S["target"][];
  /** Every code the rule emits; docs/rules/<id>.md lists them (npm run docs). */
  readonly codes: RuleCodes<C>;
  /** Pure and total: must not throw on any input (a throw is reported as internal-error). */
  check(subject: S, ctx: RuleContext): RuleFinding<C>[];
}

/** Type-erased rule, as kept in ordered lists. */
export type AnyRule = Rule<ContainerPatchSubject> | Rule<WorkloadSubject> | Rule<NamespaceSubject> | Rule<Subject>;

/** An error finding with one of the rule's codes. */
export function error<C extends string>(code: C, message: string, path?: string, params?: FindingParams): RuleFinding<C> {
  return problem("error", code, message, path, params);
}

/** An advisory finding with one of the rule's codes. */
export function advisory<C extends string>(code: C, message: string, path?: string, params?: FindingParams): RuleFinding<C> {
  return problem("advisory", code, message, path, params);
}
