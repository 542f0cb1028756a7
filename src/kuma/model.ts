// The domain model: what kuma-guard knows about the objects it judges and about the Kuma it
// judges them against. Every layer above (rules, admission, server, check) speaks these
// types; this file imports nothing.

/** error: Kuma or Kubernetes fails on the object, or silently does something else than written.
 *  advisory: it works as written but is deprecated, ignored, costly or probably not meant. */
export type Severity = "error" | "advisory";

/** Machine-readable values of a problem (the offending value, the fix): documented per code. */
export type ProblemParams = Readonly<Record<string, string | number>>;

/** Something wrong with an object, as the domain finds it; rules report these as findings. */
export interface Problem<C extends string = string> {
  severity: Severity;
  /** A stable key of what is wrong (`empty-entry`); rules document theirs. */
  code: C;
  message: string;
  /** Where in the object, as a dotted field path (`spec.sidecarPatch[2].value`). */
  path?: string;
  params?: ProblemParams;
}

/** A problem of `severity` with its code, path and params. */
export function problem<C extends string>(severity: Severity, code: C, message: string, path?: string, params?: ProblemParams): Problem<C> {
  const out: Problem<C> = { severity, code, message };
  if (path !== undefined) out.path = path;
  if (params !== undefined) out.params = params;
  return out;
}

export type Labels = Readonly<Record<string, string>>;

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels: Labels;
  annotations: Labels;
  /** The keys of `annotations`, listed once: see AnnotationKeys. */
  annotationKeys: AnnotationKeys;
}

/**
 * The keys of an annotation map, listed once per object: rules iterate them instead of calling
 * Object.keys. 256 KiB of annotations holds ~20,000 keys, and V8 lists the keys of an object
 * that large in ~5 ms, each time.
 */
export type AnnotationKeys = readonly string[];

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
  template: { labels: Labels; annotations: Labels; annotationKeys: AnnotationKeys; spec: Readonly<Record<string, unknown>> };
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
  /** False for a name the view lacks but cannot vouch is missing (--kube: not looked up live, or the lookup failed). Absent: the view is the whole truth. */
  verified?(name: string): boolean;
}

/** True when `view` vouches for `name`: it holds it, or knows it is missing. */
export function isVerified(view: CatalogView, name: string): boolean {
  return view.verified === undefined || view.verified(name);
}

/** Settings that mirror the Kuma control plane's configuration. */
export interface KumaSettings {
  /** One per control plane; Kuma reads ContainerPatches from exactly its own. */
  controlPlaneNamespaces: readonly string[];
  /** Mirror of runtime.kubernetes.injector.containerPatches: applied to every pod first. */
  defaultContainerPatches: readonly string[];
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

/** "Deployment shop/web (pod template)" / "Pod shop/web" / "ContainerPatch kuma-system/p1". */
export function describeSubject(subject: Subject): string {
  const id = `${subject.kind} ${subject.meta.namespace ? subject.meta.namespace + "/" : ""}${subject.meta.name}`;
  return subject.target === "workload" && subject.kind !== "Pod" ? `${id} (pod template)` : id;
}

/** `value` when it is a JSON object, else an empty one: untrusted input read totally. */
export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
