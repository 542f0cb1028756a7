// Real-shaped Kubernetes objects for the audit and references tests, and a way to load them
// into a FakeListWatch.
import type { FakeListWatch, KubeObject } from "./fake-list-watch.js";

export const PATCH_NAME = "sidecar-limits";

/** A valid ContainerPatch in kuma-system (the default control-plane namespace). */
export function containerPatch(name = PATCH_NAME, namespace = "kuma-system", path = "/resources/limits"): KubeObject {
  return {
    apiVersion: "kuma.io/v1alpha1",
    kind: "ContainerPatch",
    metadata: { name, namespace },
    spec: { sidecarPatch: [{ op: "add", path, value: '{"cpu":"500m","memory":"256Mi"}' }] },
  };
}

export function namespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } };
}

function podSpec(): Record<string, unknown> {
  return { containers: [{ name: "app", image: "ghcr.io/example/web:1.4.2", ports: [{ containerPort: 8080 }] }] };
}

/** A Deployment whose pod template names `patches` in kuma.io/container-patches. */
export function deployment(
  ns: string,
  name: string,
  patches: string | undefined,
  labels: Record<string, string> = { app: name },
): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: ns, labels },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: patches === undefined ? {} : { "kuma.io/container-patches": patches } },
        spec: podSpec(),
      },
    },
  };
}

export function replicaSet(owner: KubeObject, suffix: string): KubeObject {
  const template = (owner["spec"] as { template: unknown }).template;
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name: `${owner.metadata.name}-${suffix}`, namespace: owner.metadata.namespace!, ownerReferences: [ownerRef(owner)] },
    spec: { selector: { matchLabels: { app: owner.metadata.name } }, template: structuredClone(template) },
  };
}

/** A Pod not yet injected (Pending), with its owner's template, or bare when owner is undefined. */
export function pod(ns: string, name: string, patches: string | undefined, owner?: KubeObject): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: ns,
      labels: { app: name },
      annotations: patches === undefined ? {} : { "kuma.io/container-patches": patches },
      ...(owner ? { ownerReferences: [ownerRef(owner)] } : {}),
    },
    spec: podSpec(),
  };
}

function ownerRef(owner: KubeObject): Record<string, unknown> {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

const RESOURCES: Record<string, [string, string]> = {
  ContainerPatch: ["/apis/kuma.io/v1alpha1", "containerpatches"],
  Namespace: ["/api/v1", "namespaces"],
  Deployment: ["/apis/apps/v1", "deployments"],
  ReplicaSet: ["/apis/apps/v1", "replicasets"],
  StatefulSet: ["/apis/apps/v1", "statefulsets"],
  DaemonSet: ["/apis/apps/v1", "daemonsets"],
  Job: ["/apis/batch/v1", "jobs"],
  CronJob: ["/apis/batch/v1", "cronjobs"],
  Pod: ["/api/v1", "pods"],
};

/** Stores an object under its kind's resource; returns the stored copy (with uid and resourceVersion). */
export function store(api: FakeListWatch, object: KubeObject): KubeObject {
  const [apiPath, plural] = RESOURCES[object.kind ?? ""] ?? [];
  if (!apiPath || !plural) throw new Error(`no resource for kind ${object.kind}`);
  return api.put(apiPath, plural, object);
}
