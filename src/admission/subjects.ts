import { asRecord, WORKLOAD_KINDS } from "../kuma/model.js";
import type { AnnotationKeys, Labels, ObjectMeta, Subject, WorkloadKind } from "../kuma/model.js";

// Turns an untrusted Kubernetes object into what rules read. Total: any JSON value in,
// a subject or undefined out (undefined = a kind kuma-guard does not check).

/** The kinds routed to rules; everything else is allowed unchecked. */
export const ROUTED_KINDS = ["ContainerPatch", ...WORKLOAD_KINDS, "Namespace"] as const;
export type RoutedKind = (typeof ROUTED_KINDS)[number];

const WORKLOADS: ReadonlySet<string> = new Set(WORKLOAD_KINDS);

/** Where the pod template sits in each controller kind. */
const TEMPLATE_PATHS: Readonly<Record<WorkloadKind, readonly string[]>> = {
  Pod: [],
  Deployment: ["spec", "template"],
  StatefulSet: ["spec", "template"],
  DaemonSet: ["spec", "template"],
  ReplicaSet: ["spec", "template"],
  Job: ["spec", "template"],
  CronJob: ["spec", "jobTemplate", "spec", "template"],
};

/** The API group each routed kind belongs to: a CRD that reuses a name in another group is not ours. */
export const ROUTED_GROUPS: Readonly<Record<RoutedKind, string>> = {
  ContainerPatch: "kuma.io",
  Pod: "",
  Deployment: "apps",
  StatefulSet: "apps",
  DaemonSet: "apps",
  ReplicaSet: "apps",
  Job: "batch",
  CronJob: "batch",
  Namespace: "",
};

/** The routed kind for a request's group and kind, or undefined: allowed without checks. */
export function routeOf(group: string, kind: string): RoutedKind | undefined {
  return (ROUTED_KINDS as readonly string[]).includes(kind) && ROUTED_GROUPS[kind as RoutedKind] === group
    ? (kind as RoutedKind)
    : undefined;
}

/**
 * The subject for `object` of `kind`, or undefined for kinds that are not checked.
 * `defaultNamespace` fills in a namespaced object's missing metadata.namespace
 * (the request's namespace, or --namespace for `check`).
 */
export function toSubject(kind: string, object: unknown, defaultNamespace: string): Subject | undefined {
  const root = asRecord(object);
  const metadata = asRecord(root.metadata);
  const meta: ObjectMeta = {
    name: typeof metadata.name === "string" ? metadata.name : typeof metadata.generateName === "string" ? metadata.generateName : "",
    namespace:
      kind === "Namespace" ? "" : typeof metadata.namespace === "string" && metadata.namespace ? metadata.namespace : defaultNamespace,
    labels: toLabels(metadata.labels),
    ...toAnnotations(metadata.annotations),
  };
  if (kind === "ContainerPatch") return { target: "containerpatch", kind, meta, spec: root.spec };
  if (kind === "Namespace") return { target: "namespace", kind, meta };
  if (!WORKLOADS.has(kind)) return undefined;

  const workloadKind = kind as WorkloadKind;
  const path = TEMPLATE_PATHS[workloadKind];
  let template: Record<string, unknown> = root;
  for (const key of path) template = asRecord(template[key]);
  const templateMeta = path.length === 0 ? metadata : asRecord(template.metadata);
  const controller = Array.isArray(metadata.ownerReferences)
    ? metadata.ownerReferences.map(asRecord).find((ref) => ref.controller === true)
    : undefined;
  return {
    target: "workload",
    kind: workloadKind,
    meta,
    template: {
      // A Pod is its own template: its maps were checked above (a 256 KiB annotation map: ~5 ms each time).
      labels: templateMeta === metadata ? meta.labels : toLabels(templateMeta.labels),
      ...(templateMeta === metadata
        ? { annotations: meta.annotations, annotationKeys: meta.annotationKeys }
        : toAnnotations(templateMeta.annotations)),
      spec: asRecord(template.spec),
    },
    templatePath: path.join("."),
    ...(controller ? { controlledBy: typeof controller.kind === "string" ? controller.kind : "controller" } : {}),
  };
}

/**
 * Labels and annotations are string maps; the API server rejects anything else, so drop it.
 * They nearly always are, and Labels is read-only: then the object itself serves (copying
 * four maps of a dozen keys each was 5 % of a Pod's CPU profile).
 */
function toLabels(value: unknown): Labels {
  return toStringMap(asRecord(value)).map;
}

/** An annotation map as toLabels reads it, with its keys (see AnnotationKeys). */
function toAnnotations(value: unknown): { annotations: Labels; annotationKeys: AnnotationKeys } {
  const { map, keys } = toStringMap(asRecord(value));
  return { annotations: map, annotationKeys: keys };
}

function toStringMap(record: Record<string, unknown>): { map: Labels; keys: string[] } {
  const keys = Object.keys(record);
  // An own "__proto__" key (JSON.parse makes one) is not a valid key: the copy drops it.
  if (keys.every((key) => typeof record[key] === "string") && !Object.hasOwn(record, "__proto__")) return { map: record as Labels, keys };
  const map: Record<string, string> = {};
  for (const key of keys) {
    const item = record[key];
    if (typeof item === "string") map[key] = item;
  }
  return { map, keys: Object.keys(map) };
}
