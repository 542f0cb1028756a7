// Which workloads reference which ContainerPatch names: the index patch-in-use asks before a
// patch is deleted or changed. Kept current by list + watch per kind, as client-go's
// reflectors do (list, watch from its resourceVersion with bookmarks, re-list on 410 Gone,
// capped jittered backoff on failures).
//
// What is read, and why (docs/audit.md → References index):
// - Pods: metadata only (PartialObjectMetadata): a Pod's annotations are its own metadata.
// - Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs: whole objects, because
//   the annotation Kuma reads lives in the pod TEMPLATE (spec.template.metadata), which
//   metadata-only answers do not carry. Each object is reduced to its key and its list of
//   names at once; a page or an event is the only whole object held.
// - Objects with a controller (a Deployment's ReplicaSets, a CronJob's Jobs, every owned Pod)
//   are not kept: their controller is, and it is what creates new pods.
// Only objects that name at least one patch are kept: memory grows with the workloads that use
// patches, not with the cluster.
import { setTimeout as sleep } from "node:timers/promises";
import { toSubject } from "../admission/subjects.js";
import { annotationPatchNames } from "../kuma/patch-simulation.js";
import type { Logger } from "../logger.js";
import type { PatchUsers } from "../rules/types.js";
import { isRecord, KubeStatusError, METADATA_ONLY_LIST } from "./kube-http.js";
import type { KubeHttp } from "./kube-http.js";
import { collectionPath, listPages, NAMESPACES, WORKLOAD_RESOURCES } from "./lister.js";
import { SIDECAR_INJECTION } from "../kuma/annotations.js";
import type { Labels } from "../kuma/model.js";

/** A namespace without the injection label. */
const NO_LABEL: readonly string[] = Object.freeze([]);
import type { Resource } from "./lister.js";

export interface ReferencesIndex {
  /** True once every kind has been listed. */
  synced(): boolean;
  /**
   * A namespace's kuma.io/sidecar-injection label, as labels (the only one the injector's
   * selectors read), from a metadata-only list/watch; undefined while unlisted or for a namespace
   * that does not exist.
   */
  namespaceLabels(namespace: string): Labels | undefined;
  users(name: string, first?: number): PatchUsers;
  /** Workloads held (those naming at least one patch). */
  size(): number;
  close(): Promise<void>;
}

export interface ReferencesOptions {
  http: KubeHttp;
  logger: Logger;
  /** Reconnect delays: exponential from initialMs, capped at maxMs, jittered (defaults 500 ms, 30 s). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Server-side watch timeout; default random in [300, 600) s like client-go. */
  watchTimeoutSeconds?: number;
  pageSize?: number;
}

/** Label values that keep Kuma's injector away from a pod (no patch is applied to it). */
const NOT_INJECTED: ReadonlySet<string> = new Set(["disabled", "false", "no"]);
/** A watch silent for its server timeout plus this long is presumed dead and restarted. */
const WATCH_STALL_GRACE_MS = 60_000;

export function createReferencesIndex(options: ReferencesOptions): ReferencesIndex {
  const { http, logger } = options;
  const initialMs = options.backoff?.initialMs ?? 500;
  const maxMs = options.backoff?.maxMs ?? 30_000;
  /** Per kind: "namespace/name" → the names it references (arrays shared between equal lists). */
  const byKind = new Map<string, Map<string, readonly string[]>>();
  const listed = new Set<string>();
  const closing = new AbortController();
  /** Equal name lists share one frozen array: a cluster uses a handful of lists. */
  const lists = new Map<string, readonly string[]>();

  const intern = (names: readonly string[]): readonly string[] => {
    const key = names.join("\u0000");
    let shared = lists.get(key);
    if (!shared) {
      shared = Object.freeze([...names]);
      lists.set(key, shared);
    }
    return shared;
  };

  /** The names an object references, or undefined when it is not kept. */
  const namesOf = (resource: Resource, item: unknown): { key: string; names: readonly string[] | undefined } | undefined => {
    if (!isRecord(item)) return undefined;
    const metadata = isRecord(item["metadata"]) ? item["metadata"] : {};
    const name = typeof metadata["name"] === "string" ? metadata["name"] : undefined;
    if (name === undefined) return undefined;
    if (resource === NAMESPACES) {
      // Every namespace is kept, with its injection label's value (none: an empty list).
      const label = isRecord(metadata["labels"]) ? metadata["labels"][SIDECAR_INJECTION] : undefined;
      return { key: name, names: typeof label === "string" ? intern([label]) : NO_LABEL };
    }
    const namespace = typeof metadata["namespace"] === "string" ? metadata["namespace"] : "";
    const key = `${namespace}/${name}`;
    const owned =
      Array.isArray(metadata["ownerReferences"]) && metadata["ownerReferences"].some((ref) => isRecord(ref) && ref["controller"] === true);
    const subject = owned ? undefined : toSubject(resource.kind, item, namespace);
    if (subject?.target !== "workload" || NOT_INJECTED.has(subject.template.labels["kuma.io/sidecar-injection"] ?? ""))
      return { key, names: undefined };
    const { names } = annotationPatchNames(subject.template.annotations);
    return { key, names: names.length > 0 ? intern(names) : undefined };
  };

  const apply = (resource: Resource, entries: Map<string, readonly string[]>, item: unknown, deleted: boolean): void => {
    const read = namesOf(resource, item);
    if (!read) return;
    if (deleted || read.names === undefined) entries.delete(read.key);
    else entries.set(read.key, read.names);
  };

  const acceptFor = (resource: Resource): string | undefined =>
    resource.kind === "Pod" || resource === NAMESPACES ? METADATA_ONLY_LIST : undefined;

  const backoffMs = (failures: number): number => {
    const capped = Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 30));
    return capped / 2 + Math.random() * (capped / 2);
  };

  const run = async (resource: Resource): Promise<void> => {
    let resourceVersion: string | undefined;
    let failures = 0;
    while (!closing.signal.aborted) {
      try {
        if (resourceVersion === undefined) {
          const fresh = new Map<string, readonly string[]>();
          const accept = acceptFor(resource);
          const result = await listPages(
            http,
            resource,
            { signal: closing.signal, ...(accept ? { accept } : {}), ...(options.pageSize ? { limit: options.pageSize } : {}) },
            (items) => {
              for (const item of items) apply(resource, fresh, item, false);
            },
          );
          if (closing.signal.aborted) break;
          byKind.set(resource.kind, fresh); // the list is the truth: drops what a missed DELETED left
          resourceVersion = result.resourceVersion;
          listed.add(resource.kind);
          failures = 0;
          logger.info({ kind: resource.kind, referencing: fresh.size, resourceVersion }, "references index: listed");
        }
        const outcome = await watchOnce(resource, resourceVersion, (rv) => (resourceVersion = rv));
        if (closing.signal.aborted) break;
        if (outcome.gone) {
          logger.info({ kind: resource.kind, resourceVersion }, "references index: watch expired (410 Gone); re-listing");
          resourceVersion = undefined;
          if (outcome.events === 0) failures++;
        } else if (outcome.events > 0) failures = 0;
        else failures++;
      } catch (e) {
        if (closing.signal.aborted) break;
        failures++;
        if (e instanceof KubeStatusError && e.statusCode === 410) resourceVersion = undefined;
        logger.warn({ err: e, kind: resource.kind, failures }, "references index: list or watch failed; retrying");
      }
      if (failures > 0) {
        try {
          await sleep(backoffMs(failures), undefined, { signal: closing.signal, ref: false });
        } catch {
          break;
        }
      }
    }
  };

  const watchOnce = async (
    resource: Resource,
    from: string,
    onVersion: (rv: string) => void,
  ): Promise<{ gone: boolean; events: number }> => {
    const entries = byKind.get(resource.kind) ?? new Map<string, readonly string[]>();
    const stop = new AbortController();
    const onClose = (): void => stop.abort();
    closing.signal.addEventListener("abort", onClose, { once: true });
    const timeoutSeconds = options.watchTimeoutSeconds ?? Math.floor(300 + Math.random() * 300);
    let stall: NodeJS.Timeout | undefined;
    const arm = (): void => {
      if (stall) clearTimeout(stall);
      stall = setTimeout(() => stop.abort(), timeoutSeconds * 1000 + WATCH_STALL_GRACE_MS);
      stall.unref();
    };
    let events = 0;
    let gone = false;
    arm();
    try {
      const accept = acceptFor(resource);
      await http.watch(
        collectionPath(resource),
        { resourceVersion: from, allowWatchBookmarks: true, timeoutSeconds },
        (type, object) => {
          events++;
          arm();
          if (type === "ERROR") {
            const status = isRecord(object) ? object : {};
            if (status["code"] === 410 || status["reason"] === "Expired" || status["reason"] === "Gone") gone = true;
            else logger.warn({ kind: resource.kind, status }, "references index: watch ERROR event");
            stop.abort();
            return;
          }
          if (type === "ADDED" || type === "MODIFIED" || type === "DELETED") apply(resource, entries, object, type === "DELETED");
          const metadata = isRecord(object) && isRecord(object["metadata"]) ? object["metadata"] : {};
          if (typeof metadata["resourceVersion"] === "string" && metadata["resourceVersion"] !== "") onVersion(metadata["resourceVersion"]);
        },
        { signal: stop.signal, ...(accept ? { accept } : {}) },
      );
    } catch (e) {
      if (e instanceof KubeStatusError && e.statusCode === 410) gone = true;
      else throw e;
    } finally {
      if (stall) clearTimeout(stall);
      closing.signal.removeEventListener("abort", onClose);
    }
    return { gone, events };
  };

  const loops = [...WORKLOAD_RESOURCES, NAMESPACES].map((resource) => run(resource));

  return {
    synced: () => WORKLOAD_RESOURCES.every((resource) => listed.has(resource.kind)),
    namespaceLabels(namespace): Labels | undefined {
      const label = byKind.get(NAMESPACES.kind)?.get(namespace);
      if (label === undefined) return undefined;
      return label[0] === undefined ? {} : { [SIDECAR_INJECTION]: label[0] };
    },
    users(name, first = 5) {
      let total = 0;
      const shown: string[] = [];
      const chains = new Map<readonly string[], { names: readonly string[]; count: number; example: string }>();
      for (const resource of WORKLOAD_RESOURCES) {
        for (const [key, names] of byKind.get(resource.kind) ?? []) {
          if (!names.includes(name)) continue;
          total++;
          const described = `${resource.kind} ${key}`;
          if (shown.length < first) shown.push(described);
          const chain = chains.get(names);
          if (chain) chain.count++;
          else chains.set(names, { names, count: 1, example: described });
        }
      }
      return { total, first: shown.sort(), chains: [...chains.values()] };
    },
    size: () => WORKLOAD_RESOURCES.reduce((sum, resource) => sum + (byKind.get(resource.kind)?.size ?? 0), 0),
    async close() {
      closing.abort();
      await Promise.allSettled(loops);
    },
  };
}
