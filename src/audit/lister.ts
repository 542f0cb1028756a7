// Paged lists, as client-go's pager does them: `limit` objects a page, `continue` to the next
// one, so that a cluster of any size is read with one page in memory at a time.
import { isRecord, KubeStatusError } from "./kube-http.js";
import type { KubeHttp } from "./kube-http.js";

/** A resource the audit reads. */
export interface Resource {
  kind: string;
  /** "/api/v1" or "/apis/apps/v1". */
  apiPath: string;
  plural: string;
  namespaced: boolean;
}

export const CONTAINER_PATCHES: Resource = {
  kind: "ContainerPatch",
  apiPath: "/apis/kuma.io/v1alpha1",
  plural: "containerpatches",
  namespaced: true,
};
export const NAMESPACES: Resource = { kind: "Namespace", apiPath: "/api/v1", plural: "namespaces", namespaced: false };
/**
 * Every kind with a pod template, owners before what they own: a Deployment is judged before
 * its ReplicaSets, and those before their Pods, so a Pod's finding can be folded into its owner's.
 */
export const WORKLOAD_RESOURCES: readonly Resource[] = [
  { kind: "CronJob", apiPath: "/apis/batch/v1", plural: "cronjobs", namespaced: true },
  { kind: "Job", apiPath: "/apis/batch/v1", plural: "jobs", namespaced: true },
  { kind: "Deployment", apiPath: "/apis/apps/v1", plural: "deployments", namespaced: true },
  { kind: "ReplicaSet", apiPath: "/apis/apps/v1", plural: "replicasets", namespaced: true },
  { kind: "StatefulSet", apiPath: "/apis/apps/v1", plural: "statefulsets", namespaced: true },
  { kind: "DaemonSet", apiPath: "/apis/apps/v1", plural: "daemonsets", namespaced: true },
  { kind: "Pod", apiPath: "/api/v1", plural: "pods", namespaced: true },
];

/** The collection path of a resource, cluster-wide or in one namespace. */
export function collectionPath(resource: Resource, namespace?: string): string {
  return resource.namespaced && namespace
    ? `${resource.apiPath}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}`
    : `${resource.apiPath}/${resource.plural}`;
}

/** The path of one object. */
export function objectPath(resource: Resource, namespace: string, name: string): string {
  return `${collectionPath(resource, namespace)}/${encodeURIComponent(name)}`;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  /** Objects a page (default 500, client-go's pager default). */
  limit?: number;
  accept?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ListResult {
  /** The resourceVersion of the (last) list: where a watch starts. */
  resourceVersion: string;
  /** Times an expired continue token (410 Gone) made the list start over. */
  restarts: number;
}

export const DEFAULT_PAGE_SIZE = 500;
/** Start-overs after 410 Gone before the list gives up (each one makes progress). */
const MAX_RESTARTS = 20;

/**
 * Calls onPage with each page's items. When a continue token expires (410 Gone, the server
 * compacted past the list's snapshot), the list starts over without one and skips the objects
 * it already handed out: lists come sorted by namespace/name, so "already seen" is "not after
 * the last key handed out" — no set of every name is kept. A 404 (the API is not installed,
 * e.g. no Kuma CRDs) is an empty list. Other statuses throw a KubeStatusError.
 */
export async function listPages(
  http: KubeHttp,
  resource: Resource,
  options: ListOptions,
  onPage: (items: unknown[]) => void | Promise<void>,
): Promise<ListResult> {
  const path = collectionPath(resource, options.namespace);
  let token: string | undefined;
  let lastKey: string | undefined;
  let skipUpTo: string | undefined;
  let restarts = 0;
  for (;;) {
    const response = await http.call("GET", path, {
      query: { limit: options.limit ?? DEFAULT_PAGE_SIZE, continue: token, labelSelector: options.labelSelector },
      ...(options.accept ? { accept: options.accept } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (response.status === 410 && token !== undefined && restarts < MAX_RESTARTS) {
      restarts++;
      token = undefined;
      skipUpTo = lastKey;
      continue;
    }
    if (response.status === 404 && token === undefined) return { resourceVersion: "", restarts };
    if (response.status !== 200) throw new KubeStatusError(response.status, response.body, `list ${path}`);
    const body = isRecord(response.body) ? response.body : {};
    const metadata = isRecord(body["metadata"]) ? body["metadata"] : {};
    let items = Array.isArray(body["items"]) ? (body["items"] as unknown[]) : [];
    if (skipUpTo !== undefined) {
      const after = skipUpTo;
      items = items.filter((item) => keyOf(item) > after);
    }
    const last = items.at(-1);
    if (last !== undefined) lastKey = keyOf(last);
    if (items.length > 0) await onPage(items);
    const next = metadata["continue"];
    token = typeof next === "string" && next !== "" ? next : undefined;
    if (token === undefined || options.signal?.aborted) {
      return { resourceVersion: typeof metadata["resourceVersion"] === "string" ? metadata["resourceVersion"] : "", restarts };
    }
  }
}

/** The order the API server lists in: namespace, then name. */
function keyOf(item: unknown): string {
  const metadata = isRecord(item) && isRecord(item["metadata"]) ? item["metadata"] : {};
  const namespace = typeof metadata["namespace"] === "string" ? metadata["namespace"] : "";
  const name = typeof metadata["name"] === "string" ? metadata["name"] : "";
  return `${namespace}/${name}`;
}
