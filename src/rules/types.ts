// The contract between rules, the review engine and the policy layer.
// Rules are pure: subject + read-only context in, findings out. They never decide
// whether a finding denies or warns; the policy maps (rule id, severity) to an action.

import type { ReviewMemo } from "../kuma/memo.js";

/** error: Kuma or Kubernetes fails on the object, or silently does something else than written.
 *  advisory: it works as written but is deprecated, ignored, costly or probably not meant. */
export type Severity = "error" | "advisory";

/** Machine-readable values of a finding (the offending value, the fix): documented per code. */
export type FindingParams = Readonly<Record<string, string | number>>;

/** What a rule reports; the engine adds the rule id and turns `code` into `<rule-id>/<code>`. */
export interface RuleFinding<C extends string = string> {
  severity: Severity;
  /** A key of the rule's `codes`. */
  code: C;
  message: string;
  /** Where in the object, as a dotted field path (`spec.sidecarPatch[2].value`). */
  path?: string;
  params?: FindingParams;
}

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

/** The full, stable code of a finding: `exclude-ports-for-uids/empty-entry`. */
export const findingCode = (ruleId: string, key: string): string => `${ruleId}/${key}`;

export type Labels = Readonly<Record<string, string>>;

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels: Labels;
  annotations: Labels;
}

/** A kuma.io/v1alpha1 ContainerPatch as admitted; `spec` is untrusted input. */
export interface ContainerPatchSubject {
  target: "containerpatch";
  kind: "ContainerPatch";
  meta: ObjectMeta;
  spec: unknown;
}

export const WORKLOAD_KINDS = ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** A Pod or the pod template of a controller: what Kuma's injector will read. */
export interface WorkloadSubject {
  target: "workload";
  kind: WorkloadKind;
  /** The object's own metadata (for a Deployment: the Deployment's, which Kuma never reads). */
  meta: ObjectMeta;
  /** The pod template (for a Pod: the pod itself). `spec` is an untrusted PodSpec. */
  template: { labels: Labels; annotations: Labels; spec: Readonly<Record<string, unknown>> };
  /** Field path of the template inside the object: "" for a Pod, "spec.template" for a Deployment. */
  templatePath: string;
  /** Kind of the controller owning a Pod (ownerReferences[].controller), if any. */
  controlledBy?: string;
}

export interface NamespaceSubject {
  target: "namespace";
  kind: "Namespace";
  meta: ObjectMeta;
}

export type Subject = ContainerPatchSubject | WorkloadSubject | NamespaceSubject;
export type Target = Subject["target"];

/** A JSON object as Kubernetes serializes it (a Container, a PodSpec). */
export type JsonObject = Record<string, unknown>;

/** The containers Kuma renders, before any ContainerPatch. */
export interface ContainerTemplates {
  sidecar: JsonObject;
  init: JsonObject;
}

/** A ContainerPatch as the catalog keeps it: only what the rules need. */
export interface StoredContainerPatch {
  name: string;
  namespace: string;
  spec: { sidecarPatch?: unknown; initPatch?: unknown };
}

/** The ContainerPatches Kuma can see (those in the control-plane namespaces), read-only. */
export interface CatalogView {
  /** False when no catalog is configured: a missing name cannot be verified. */
  readonly configured: boolean;
  /** The patch of that exact name in one of the control-plane namespaces. */
  get(name: string): StoredContainerPatch | undefined;
}

/** Settings that mirror the Kuma control plane's configuration. */
export interface KumaSettings {
  /** One per control plane; Kuma reads ContainerPatches from exactly its own. */
  controlPlaneNamespaces: readonly string[];
  /** Mirror of runtime.kubernetes.injector.containerPatches: applied to every pod first. */
  defaultContainerPatches: readonly string[];
}

/** Everything a rule may read besides the subject. Built once per policy/catalog state. */
export interface RuleContext {
  readonly settings: KumaSettings;
  readonly templates: ContainerTemplates;
  readonly catalog: CatalogView;
  /** This review's scratch space (kuma/memo.ts): a fresh one per review. */
  readonly memo: ReviewMemo;
}

/** Action the policy assigns to a finding. */
export type Action = "deny" | "warn" | "audit" | "off";

/** `C`: the rule's code keys; a rule can only emit codes it declares in `codes`. */
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
  return finding("error", code, message, path, params);
}

/** An advisory finding with one of the rule's codes. */
export function advisory<C extends string>(code: C, message: string, path?: string, params?: FindingParams): RuleFinding<C> {
  return finding("advisory", code, message, path, params);
}

function finding<C extends string>(severity: Severity, code: C, message: string, path?: string, params?: FindingParams): RuleFinding<C> {
  const out: RuleFinding<C> = { severity, code, message };
  if (path !== undefined) out.path = path;
  if (params !== undefined) out.params = params;
  return out;
}

/** "Deployment shop/web (pod template)" / "Pod shop/web" / "ContainerPatch kuma-system/p1". */
export function describeSubject(subject: Subject): string {
  const id = `${subject.kind} ${subject.meta.namespace ? subject.meta.namespace + "/" : ""}${subject.meta.name}`;
  return subject.target === "workload" && subject.kind !== "Pod" ? `${id} (pod template)` : id;
}
