// The contract between rules, the review engine and the policy layer.
// Rules are pure: subject + the review's analysis in, findings out. They never decide
// whether a finding denies or warns; the policy maps (rule id, severity) to an action.

import type { ReviewAnalysis } from "../kuma/analysis.js";
import type { Problem, Subject, ContainerPatchSubject, WorkloadSubject, NamespaceSubject } from "../kuma/model.js";

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
  Severity,
  StoredContainerPatch,
  Subject,
  Target,
  WorkloadKind,
  WorkloadSubject,
} from "../kuma/model.js";
export { describeSubject, WORKLOAD_KINDS } from "../kuma/model.js";

/** What a rule reports; the engine adds the rule id. */
export type RuleFinding = Problem;

export interface Finding extends RuleFinding {
  ruleId: string;
}

/** Everything a rule may read besides the subject: the settings, templates and catalog in
 *  effect, and what the review derives from them for this subject, each computed once. */
export type RuleContext = ReviewAnalysis;

/** Action the policy assigns to a finding. */
export type Action = "deny" | "warn" | "audit" | "off";

export interface Rule<S extends Subject = Subject> {
  /** Stable id: never renamed or reused; listed in rules/index.ts and docs/rules.md. */
  readonly id: string;
  /** One line: what the rule makes sure of. */
  readonly summary: string;
  /** Action for the rule's errors when the policy does not set one (advisories warn). */
  readonly defaultAction: "deny" | "warn";
  readonly targets: readonly S["target"][];
  /** Pure and total: must not throw on any input (a throw is reported as internal-error). */
  check(subject: S, ctx: RuleContext): RuleFinding[];
}

/** Type-erased rule, as kept in ordered lists. */
export type AnyRule = Rule<ContainerPatchSubject> | Rule<WorkloadSubject> | Rule<NamespaceSubject> | Rule<Subject>;

export const error = (message: string, path?: string): RuleFinding =>
  path === undefined ? { severity: "error", message } : { severity: "error", message, path };
export const advisory = (message: string, path?: string): RuleFinding =>
  path === undefined ? { severity: "advisory", message } : { severity: "advisory", message, path };
