// The contract between rules, the review engine and the policy layer.
// Rules are pure: subject + read-only context in, findings out. They never decide
// whether a finding denies or warns; the policy maps (rule id, severity) to an action.

import type { ReviewMemo } from "../kuma/memo.js";

/** error: Kuma or Kubernetes fails on the object, or silently does something else than written.
 *  advisory: it works as written but is deprecated, ignored, costly or probably not meant. */
export type Severity = "error" | "advisory";

/** What a rule reports; the engine adds the rule id. */
export interface RuleFinding {
  severity: Severity;
  message: string;
  /** Where in the object, as a dotted field path (`spec.sidecarPatch[2].value`). */
  path?: string;
}

export interface Finding extends RuleFinding {
  ruleId: string;
}

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
  /** Which workloads reference which ContainerPatch names (--kube only; patch-in-use is inactive without it). */
  readonly references?: PatchReferences;
}

/** The references index as one review sees it (src/audit/references.ts). */
export interface PatchReferences {
  /** The admission operation under review: only DELETE and UPDATE of a patch can break its users. */
  readonly operation: "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
  /** False until every workload kind has been listed: nothing can be said then. */
  synced(): boolean;
  users(name: string): PatchUsers;
}

/** The workloads that name one ContainerPatch. */
export interface PatchUsers {
  /** Workloads without a controller that name the patch (their owned ReplicaSets, Jobs and Pods are not counted). */
  total: number;
  /** The first few, as "Deployment shop/web". */
  first: readonly string[];
  /** Each distinct list of names (Kuma's order) that contains the patch, how many workloads use it, and one of them. */
  chains: readonly { names: readonly string[]; count: number; example: string }[];
}

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

/** "Deployment shop/web (pod template)" / "Pod shop/web" / "ContainerPatch kuma-system/p1". */
export function describeSubject(subject: Subject): string {
  const id = `${subject.kind} ${subject.meta.namespace ? subject.meta.namespace + "/" : ""}${subject.meta.name}`;
  return subject.target === "workload" && subject.kind !== "Pod" ? `${id} (pod template)` : id;
}
