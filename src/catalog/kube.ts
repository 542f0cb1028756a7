// The ContainerPatch catalog from the Kubernetes API (`--kube`): list + watch
// containerpatches.kuma.io/v1alpha1 in each control-plane namespace, the way client-go's
// reflector does (list, watch from the list's resourceVersion, re-list on 410 Gone).
//
// @kubernetes/client-node costs ~80 MB of RSS when imported (measured: 39 MB → 118 MB on
// Node 20), so it is only imported here, inside the async factory; the type imports below are
// erased at compile time.
import { setTimeout as sleep } from "node:timers/promises";
import type { ConfigurationOptions, CustomObjectsApi, KubeConfig, ObservableMiddleware, RequestContext, ResponseContext } from "@kubernetes/client-node";
import { isPlainObject, toStoredPatch } from "../manifests.js";
import type { StoredContainerPatch } from "../kuma/model.js";
import { viewOf } from "./types.js";
import type { CatalogSource } from "./types.js";
import type { Logger } from "./watch-files.js";

export type { Logger } from "./watch-files.js";

export interface KubeCatalogOptions {
  /** The control-plane namespaces to list and watch. */
  namespaces: readonly string[];
  logger: Logger;
  /** Default: KubeConfig.loadFromDefault() (in-cluster service account, or KUBECONFIG / ~/.kube/config). */
  kubeConfig?: KubeConfig;
  /** Reconnect delays: exponential from initialMs, capped at maxMs, jittered (defaults 500 ms, 30 s). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Time allowed for one live GET in resolve() (default 2000 ms: admission has a 10 s budget in all). */
  getTimeoutMs?: number;
  /** Time allowed for one list page (default 30 s). */
  listTimeoutMs?: number;
  /** Server-side watch timeout; default random in [300, 600) s like client-go, so watches rotate. */
  watchTimeoutSeconds?: number;
}

// Kuma: pkg/plugins/resources/k8s/native/api/v1alpha1/container_patch.go
const GROUP = "kuma.io";
const VERSION = "v1alpha1";
const PLURAL = "containerpatches";
/** Page size of a list; a control-plane namespace rarely holds more. */
const LIST_PAGE_SIZE = 500;
/** A watch silent for its server timeout plus this long is presumed dead (half-open TCP) and restarted. */
const WATCH_STALL_GRACE_MS = 60_000;

type Outcome = { gone: boolean; events: number; error?: unknown };

/**
 * Lists and watches ContainerPatches in every namespace of `namespaces`; keeps only name, namespace
 * and the two patch lists. synced() turns true once every namespace has been listed. A watch that
 * ends is resumed from the last resourceVersion seen (ADDED/MODIFIED/DELETED/BOOKMARK); an
 * expired resourceVersion (410 Gone, as HTTP status or ERROR event) triggers a full re-list;
 * failures are retried with capped, jittered exponential backoff. Nothing here throws after the
 * factory returns; errors are logged.
 */
export async function createKubeCatalog(options: KubeCatalogOptions): Promise<CatalogSource> {
  const k8s = await import("@kubernetes/client-node");
  const { logger } = options;
  const namespaces = [...new Set(options.namespaces)];
  const kubeConfig =
    options.kubeConfig ??
    (() => {
      const config = new k8s.KubeConfig();
      config.loadFromDefault();
      return config;
    })();
  const api: CustomObjectsApi = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const watcher = new k8s.Watch(kubeConfig);
  const initialMs = options.backoff?.initialMs ?? 500;
  const maxMs = options.backoff?.maxMs ?? 30_000;
  const getTimeoutMs = options.getTimeoutMs ?? 2000;
  const listTimeoutMs = options.listTimeoutMs ?? 30_000;

  const index = new Map<string, Map<string, StoredContainerPatch>>();
  let generation = 0; // bumped on every change of `index`
  const listed = new Set<string>();
  const closing = new AbortController();
  const inFlight = new Map<string, Promise<boolean>>();

  /**
   * Runs an API call that is aborted after `ms` or on close(). The deadline is a timer that
   * holds its controller until the call settles: a signal from AbortSignal.any() is only
   * weakly held, and once collected it never aborts (a live GET then hung for good).
   */
  const withDeadline = async <T>(ms: number, call: (options: ConfigurationOptions<ObservableMiddleware>) => Promise<T>): Promise<T> => {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error(`no answer from the Kubernetes API within ${ms} ms`)), ms);
    const onClose = (): void => deadline.abort();
    closing.signal.addEventListener("abort", onClose, { once: true });
    if (closing.signal.aborted) deadline.abort();
    try {
      return await call({
        middleware: [
          {
            pre: (context: RequestContext) => {
              context.setSignal(deadline.signal);
              return new k8s.Observable(Promise.resolve(context));
            },
            post: (context: ResponseContext) => new k8s.Observable(Promise.resolve(context)),
          },
        ],
        middlewareMergeStrategy: "append",
      });
    } finally {
      clearTimeout(timer);
      closing.signal.removeEventListener("abort", onClose);
    }
  };

  const backoffMs = (failures: number): number => {
    const capped = Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 30));
    return capped / 2 + Math.random() * (capped / 2); // jitter: spread reconnecting replicas
  };

  const store = (namespace: string, object: unknown): void => {
    if (!isPlainObject(object)) return;
    const patch = toStoredPatch(object, namespace);
    if (!patch) return;
    const byName = index.get(namespace) ?? new Map<string, StoredContainerPatch>();
    byName.set(patch.name, { ...patch, namespace });
    index.set(namespace, byName);
    generation++;
  };

  const list = async (namespace: string): Promise<string> => {
    const byName = new Map<string, StoredContainerPatch>();
    let resourceVersion = "";
    let token: string | undefined;
    do {
      const page: unknown = await withDeadline(listTimeoutMs, (options) =>
        api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, limit: LIST_PAGE_SIZE, _continue: token }, options),
      );
      const body = isPlainObject(page) ? page : {};
      const metadata = isPlainObject(body["metadata"]) ? body["metadata"] : {};
      for (const item of Array.isArray(body["items"]) ? body["items"] : []) {
        const patch = isPlainObject(item) ? toStoredPatch(item, namespace) : undefined;
        if (patch) byName.set(patch.name, { ...patch, namespace });
      }
      resourceVersion = typeof metadata["resourceVersion"] === "string" ? metadata["resourceVersion"] : "";
      token = typeof metadata["continue"] === "string" && metadata["continue"] !== "" ? metadata["continue"] : undefined;
    } while (token !== undefined && !closing.signal.aborted);
    index.set(namespace, byName); // the list is the truth: drops anything a missed DELETED left behind
    generation++;
    logger.info({ namespace, patches: byName.size, resourceVersion }, "ContainerPatches listed");
    return resourceVersion;
  };

  const watchOnce = (namespace: string, from: string, onVersion: (rv: string) => void): Promise<Outcome> =>
    new Promise<Outcome>((resolve) => {
      let events = 0;
      let gone = false;
      let failure: unknown;
      let controller: AbortController | undefined;
      let abortWanted = false;
      let finished = false;
      // Watch.watch() hands out its AbortController only once the response headers arrived, so
      // ending a watch (ERROR event, stall, close) also settles this promise directly.
      const abort = (): void => {
        abortWanted = true;
        controller?.abort();
        finish(undefined);
      };
      const timeoutSeconds = options.watchTimeoutSeconds ?? Math.floor(300 + Math.random() * 300);
      let stall: NodeJS.Timeout | undefined;
      const armStallTimer = (): void => {
        if (stall) clearTimeout(stall);
        stall = setTimeout(() => {
          failure = new Error(`no watch event for ${timeoutSeconds} s past the server timeout`);
          abort();
        }, timeoutSeconds * 1000 + WATCH_STALL_GRACE_MS);
        stall.unref();
      };
      function finish(err: unknown): void {
        if (finished) return;
        finished = true;
        if (stall) clearTimeout(stall);
        closing.signal.removeEventListener("abort", abort);
        if (statusCodeOf(err) === 410) gone = true;
        resolve({ gone, events, error: gone ? undefined : (failure ?? (abortWanted ? undefined : (err ?? undefined))) });
      }
      closing.signal.addEventListener("abort", abort, { once: true });
      armStallTimer();
      const versionOf = (object: unknown): string | undefined => {
        const metadata = isPlainObject(object) ? object["metadata"] : undefined;
        const rv = isPlainObject(metadata) ? metadata["resourceVersion"] : undefined;
        return typeof rv === "string" && rv !== "" ? rv : undefined;
      };
      const onEvent = (type: string, object: unknown): void => {
        if (finished) return;
        events++;
        armStallTimer();
        switch (type) {
          case "ADDED":
          case "MODIFIED":
            store(namespace, object);
            break;
          case "DELETED": {
            const metadata = isPlainObject(object) ? object["metadata"] : undefined;
            const name = isPlainObject(metadata) ? metadata["name"] : undefined;
            if (typeof name === "string" && index.get(namespace)?.delete(name)) generation++;
            break;
          }
          case "BOOKMARK":
            break;
          case "ERROR": {
            // A metav1.Status; 410 = the resourceVersion is older than the server's watch cache.
            const status = isPlainObject(object) ? object : {};
            if (status["code"] === 410 || status["reason"] === "Expired" || status["reason"] === "Gone") gone = true;
            else failure = new Error(`watch ERROR event: ${String(status["message"] ?? JSON.stringify(status))}`);
            abort();
            return;
          }
          default:
            return;
        }
        const rv = versionOf(object);
        if (rv !== undefined) onVersion(rv);
      };
      const path = `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/${PLURAL}`;
      watcher
        .watch(path, { resourceVersion: from, allowWatchBookmarks: true, timeoutSeconds }, onEvent, finish)
        .then((c) => {
          controller = c;
          if (abortWanted || finished || closing.signal.aborted) c.abort();
        })
        .catch(finish);
    });

  const run = async (namespace: string): Promise<void> => {
    let resourceVersion: string | undefined;
    let failures = 0;
    while (!closing.signal.aborted) {
      try {
        if (resourceVersion === undefined) {
          resourceVersion = await list(namespace);
          listed.add(namespace);
          failures = 0;
        }
        const outcome = await watchOnce(namespace, resourceVersion, (rv) => (resourceVersion = rv));
        if (closing.signal.aborted) break;
        if (outcome.gone) {
          logger.info({ namespace, resourceVersion }, "ContainerPatch watch expired (410 Gone); re-listing");
          resourceVersion = undefined;
          if (outcome.events <= 1) failures++; // Gone straight away: do not spin
        } else if (outcome.error !== undefined) {
          throw outcome.error;
        } else if (outcome.events > 0) {
          failures = 0; // a normal end (server timeout): resume at once
        } else {
          failures++;
          logger.debug({ namespace }, "ContainerPatch watch closed without events");
        }
      } catch (e) {
        if (closing.signal.aborted) break;
        failures++;
        if (statusCodeOf(e) === 410) resourceVersion = undefined; // an expired continue token
        logger.warn({ err: e, namespace, failures }, `ContainerPatch ${resourceVersion === undefined ? "list" : "watch"} failed; retrying`);
      }
      if (failures > 0) {
        try {
          await sleep(backoffMs(failures), undefined, { signal: closing.signal, ref: false });
        } catch {
          break; // closed
        }
      }
    }
  };

  /** A live GET of one name; the result joins the cache unless the watch got there first. */
  const fetchOne = (namespace: string, name: string): Promise<boolean> => {
    const key = `${namespace}/${name}`;
    const pending = inFlight.get(key);
    if (pending) return pending;
    const request = (async () => {
      try {
        const object: unknown = await withDeadline(getTimeoutMs, (options) =>
          api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name }, options),
        );
        if (!index.get(namespace)?.has(name)) store(namespace, object);
        return index.get(namespace)?.has(name) ?? false;
      } catch (e) {
        if (statusCodeOf(e) === 404) logger.debug({ namespace, name }, "ContainerPatch not found");
        else logger.warn({ err: e, namespace, name }, "live lookup of a ContainerPatch failed");
        return false;
      } finally {
        inFlight.delete(key);
      }
    })();
    inFlight.set(key, request);
    return request;
  };

  const loops = namespaces.map((namespace) => run(namespace));

  return {
    view: (controlPlaneNamespaces) => viewOf(index, controlPlaneNamespaces),
    generation: () => generation,
    synced: () => namespaces.every((namespace) => listed.has(namespace)),
    async resolve(lookIn, names) {
      if (closing.signal.aborted) return;
      const view = viewOf(index, lookIn);
      const missing = [...new Set(names)].filter((name) => name !== "" && view.get(name) === undefined);
      await Promise.all(
        missing.map(async (name) => {
          for (const namespace of lookIn) if (await fetchOne(namespace, name)) return;
        }),
      );
    },
    countsByNamespace() {
      const counts: Record<string, number> = {};
      for (const [namespace, byName] of index) counts[namespace] = byName.size;
      return counts;
    },
    async close() {
      closing.abort();
      await Promise.allSettled(loops);
    },
  };
}

/** The HTTP status of a client-node error: ApiException.code, or statusCode from Watch. */
function statusCodeOf(e: unknown): number | undefined {
  if (typeof e !== "object" || e === null) return undefined;
  const { code, statusCode } = e as { code?: unknown; statusCode?: unknown };
  if (typeof code === "number") return code;
  return typeof statusCode === "number" ? statusCode : undefined;
}
