import { performance } from "node:perf_hooks";
import { routeOf, toSubject } from "./subjects.js";
import type { RoutedKind } from "./subjects.js";
import type { AdmissionRequest } from "./types.js";
import { ReviewAnalysis } from "../kuma/analysis.js";
import { describeSubject } from "../kuma/model.js";
import type { PatchReferences, Subject } from "../kuma/model.js";
import { findingCode, MAX_FINDINGS_PER_RULE } from "../rules/types.js";
import type { Action, Finding, Rule, RuleFinding } from "../rules/types.js";
import type { Snapshot } from "../snapshot.js";

// The decision, without HTTP: subject → rule findings → policy actions → verdict.
// Pure and synchronous; everything from outside (policy, catalog) comes in the snapshot.

export interface ReviewEnv {
  /** The policy and catalog in force, with what is derived from them. */
  snapshot: Snapshot;
  /** The references index (--kube): patch-in-use reads it; without it the rule is inactive. */
  references?: Omit<PatchReferences, "operation">;
  /** Called with each evaluated rule's duration (metrics); optional so `check` pays nothing. */
  onRuleTimed?: (ruleId: string, seconds: number) => void;
}

/** A finding with the action the policy gave it ("off" findings are never produced). */
export interface Decision {
  finding: Finding;
  action: Exclude<Action, "off">;
}

/** A rule that threw: a bug in kuma-guard, never the user's fault. */
export interface RuleFailure {
  ruleId: string;
  error: unknown;
}

export interface Evaluation {
  decisions: Decision[];
  failures: RuleFailure[];
}

export interface Verdict {
  allowed: boolean;
  /** The routed kind, or undefined when the request was not checked. */
  kind: RoutedKind | undefined;
  /** For workloads, what was checked ("Deployment shop/web (pod template)"): a multi-document
   *  `kubectl apply` prints warnings and denials without saying which object they are about. */
  checked?: string;
  denials: Finding[];
  warnings: Finding[];
  audits: Finding[];
  failures: RuleFailure[];
}

const INJECTION_RULE = "sidecar-injection";

/** The one rule that may deny a DELETE: of a ContainerPatch that workloads still reference. */
const DENIES_DELETE = "patch-in-use";
/** Its advisories say what it could not check (index not synced, lists past its work bound): never a deny on missing data, even with action deny. */
const couldNotCheck = (finding: Finding): boolean => finding.ruleId === DENIES_DELETE && finding.severity === "advisory";

/** The references index as a review of `operation` sees it, when there is one. */
function referencesFor(env: ReviewEnv, operation: PatchReferences["operation"] | undefined): PatchReferences | undefined {
  const references = env.references;
  if (!references || !operation) return undefined;
  return { operation, synced: () => references.synced(), users: (name) => references.users(name) };
}

/** Runs every applicable rule of the policy on one subject, with one analysis they share. Never throws. */
export function evaluate(subject: Subject, env: ReviewEnv, operation?: PatchReferences["operation"]): Evaluation {
  const { snapshot, onRuleTimed } = env;
  const policy = snapshot.policy;
  const ctx = new ReviewAnalysis(subject, snapshot, referencesFor(env, operation));
  const decisions: Decision[] = [];
  const failures: RuleFailure[] = [];
  const notInjected = subject.target === "workload" && !ctx.injection.injected;
  const rules = policy.rules as readonly Rule<Subject>[];
  // One clock read per evaluated rule: its time runs from the previous one's end, so it also
  // holds the policy's checks for it and for rules skipped since (tens of nanoseconds).
  let clock = onRuleTimed ? performance.now() : 0;
  // Index loops here: for-of allocated an iterator result per rule and per finding (~1 KB a review).
  for (let r = 0; r < rules.length; r++) {
    const rule = rules[r]!;
    if (!rule.targets.includes(subject.target)) continue;
    if (notInjected && rule.id !== INJECTION_RULE) continue;
    if (policy.actionFor(rule.id, "error") === "off" || policy.isExempt(rule.id, subject)) continue;
    try {
      const found = capped(rule.check(subject, ctx));
      for (let i = 0; i < found.length; i++) {
        const finding = found[i]!;
        const action = policy.actionFor(rule.id, finding.severity);
        if (action !== "off")
          decisions.push({ finding: { ruleId: rule.id, ...finding, code: findingCode(rule.id, finding.code) }, action });
      }
    } catch (error) {
      failures.push({ ruleId: rule.id, error });
    }
    if (onRuleTimed) {
      const now = performance.now();
      onRuleTimed(rule.id, (now - clock) / 1000);
      clock = now;
    }
  }
  return { decisions, failures };
}

/** The code of the finding that counts the rest, any rule's: `<rule-id>/more-findings`. */
export const MORE_FINDINGS = "more-findings";

/** The first MAX_FINDINGS_PER_RULE findings, then one that counts the rest (an error if any of them is). */
function capped(found: RuleFinding[]): RuleFinding[] {
  if (found.length <= MAX_FINDINGS_PER_RULE) return found;
  const rest = found.slice(MAX_FINDINGS_PER_RULE);
  const severity = rest.some((finding) => finding.severity === "error") ? "error" : "advisory";
  const count: RuleFinding = {
    severity,
    code: MORE_FINDINGS,
    message: `and ${rest.length} more like these: fix the ones above, then check again`,
    params: { count: rest.length },
  };
  return [...found.slice(0, MAX_FINDINGS_PER_RULE), count];
}

/**
 * The verdict for an admission request:
 * - kinds that are not routed are allowed unchecked;
 * - DELETE is never denied (deleting is how users fix things): oldObject is checked, denials become warnings —
 *   except patch-in-use's (a ContainerPatch that live workloads still reference);
 * - UPDATE ratchets: a finding already present in oldObject only warns, so a bad object can still be scaled;
 * - a Pod owned by a controller only warns: its template was checked on the controller;
 * - a rule that throws answers per the policy's onError.
 */
export function review(request: AdmissionRequest, env: ReviewEnv, subject = subjectOf(request)): Verdict {
  const kind = routeOf(request.kind.group, request.kind.kind);
  const verdict: Verdict = { allowed: true, kind, denials: [], warnings: [], audits: [], failures: [] };
  if (!kind || !subject) return verdict;
  const isDelete = request.operation === "DELETE";

  if (subject.target === "workload") verdict.checked = describeSubject(subject);
  const { decisions, failures } = evaluate(subject, env, request.operation);
  const preexisting = request.operation === "UPDATE" ? findingKeysOf(kind, request, env) : undefined;
  const warnOnly = isDelete || (subject.target === "workload" && subject.controlledBy !== undefined);

  for (const { finding, action } of decisions) {
    if (action === "audit") verdict.audits.push(finding);
    else if (
      action === "warn" ||
      (warnOnly && finding.ruleId !== DENIES_DELETE) ||
      couldNotCheck(finding) ||
      preexisting?.has(keyOf(finding))
    )
      verdict.warnings.push(finding);
    else verdict.denials.push(finding);
  }
  verdict.failures = failures;
  verdict.allowed = verdict.denials.length === 0 && (failures.length === 0 || env.snapshot.policy.onError === "allow");
  return verdict;
}

/** What a review checks: the request's object (oldObject for DELETE), or undefined for kinds that are not routed. */
export function subjectOf(request: AdmissionRequest): Subject | undefined {
  const kind = routeOf(request.kind.group, request.kind.kind);
  if (!kind) return undefined;
  return toSubject(kind, request.operation === "DELETE" ? request.oldObject : request.object, request.namespace);
}

function findingKeysOf(kind: RoutedKind, request: AdmissionRequest, env: ReviewEnv): Set<string> {
  const old = toSubject(kind, request.oldObject, request.namespace);
  if (!old) return new Set();
  return new Set(evaluate(old, { snapshot: env.snapshot }).decisions.map((d) => keyOf(d.finding)));
}

const keyOf = (finding: Finding): string => `${finding.ruleId}\u0000${finding.path ?? ""}\u0000${finding.message}`;
