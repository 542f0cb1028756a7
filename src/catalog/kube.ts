// The ContainerPatch catalog from the Kubernetes API (`--kube`): @kubernetes/client-node's
// informer (ListWatch) per control-plane namespace lists containerpatches.kuma.io/v1alpha1,
// watches from the list's resourceVersion and re-lists on 410 Gone. Around it, what the
// library leaves to its user: paged lists with a deadline, reconnecting with capped, jittered
// backoff after an error (ListWatch stops on any error but 410), bookmarks (it never asks for
// them: the watch wrapper below does), a stalled or at-once-closing watch (it would wait forever
// or reconnect in a tight loop), and a stop() during connect (it cannot abort a watch whose
// headers have not arrived). test/catalog-kube.test.ts covers paging, backoff, bookmarks and
// both kinds of 410 against the library; the stall guard needs minutes and is not tested.
//
// @kubernetes/client-node costs ~80 MB of RSS when imported (measured: 39 MB → 118 MB on
// Node 20), so it is only imported here, inside the async factory; the type imports below are
// erased at compile time.
import type {
  ConfigurationOptions,
  CustomObjectsApi,
  KubeConfig,
  KubernetesListObject,
  KubernetesObject,
  ObservableMiddleware,
  RequestContext,
  ResponseContext,
  Watch,
} from "@kubernetes/client-node";
import { isPlainObject, toStoredPatch } from "../manifests.js";
import type { StoredContainerPatch } from "../kuma/model.js";
import { isObjectName, viewOf } from "./types.js";
import type { CatalogSource, LookupResult } from "./types.js";
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
  /** Time one resolve() may wait for its live GETs, queueing included (default 2000 ms). */
  getTimeoutMs?: number;
  /** Time allowed for one list page (default 30 s). */
  listTimeoutMs?: number;
  /** Server-side watch timeout; default random in [300, 600) s like client-go, so watches rotate. */
  watchTimeoutSeconds?: number;
  /** How long a 404 or a failed live GET is remembered (default 10 s). */
  missTtlMs?: number;
}

// Kuma: pkg/plugins/resources/k8s/native/api/v1alpha1/container_patch.go
const GROUP = "kuma.io";
const VERSION = "v1alpha1";
const PLURAL = "containerpatches";
/** Page size of a list; a control-plane namespace rarely holds more. */
const LIST_PAGE_SIZE = 500;
/** A watch silent for its server timeout plus this long is presumed dead (half-open TCP) and restarted. */
const WATCH_STALL_GRACE_MS = 60_000;

/**
 * Live GETs one resolve() (one admission request) may start. A workload needs its patches
 * fetched live only when it is applied together with them (the watch is a moment behind);
 * 8 covers such an apply, and 5,000 names in one Pod cost 8 calls, not 5,000.
 */
export const MAX_LOOKUPS_PER_REQUEST = 8;
/** Live GETs in flight across all requests: the API server's per-client fairness is not ours to test. */
export const MAX_LOOKUPS_IN_FLIGHT = 8;
/** Lookups waiting for a slot; beyond this they are skipped (unverified) rather than queued. */
const MAX_LOOKUPS_QUEUED = 64;
/** Misses and failures remembered per namespace (oldest forgotten first): bounded memory for made-up names. */
const MAX_REMEMBERED = 4096;

type Remembered = { result: "missing" | "error"; until: number };

/**
 * Lists and watches ContainerPatches in every namespace of `namespaces`; keeps only name, namespace
 * and the two patch lists. synced() turns true once every namespace has been listed. Nothing
 * here throws after the factory returns; errors are logged.
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
  const watch = new k8s.Watch(kubeConfig);
  const initialMs = options.backoff?.initialMs ?? 500;
  const maxMs = options.backoff?.maxMs ?? 30_000;
  const getTimeoutMs = options.getTimeoutMs ?? 2000;
  const listTimeoutMs = options.listTimeoutMs ?? 30_000;
  const missTtlMs = options.missTtlMs ?? 10_000;

  const index = new Map<string, Map<string, StoredContainerPatch>>();
  let generation = 0;
  const listed = new Set<string>();
  const closing = new AbortController();
  /** Lookups under way, by name, then namespace: a request's names are checked without building a key string for each. */
  const inFlight = new Map<string, Map<string, Promise<boolean>>>();
  /** By namespace, then name: a request's names are checked without building a key string for each. */
  const remembered = new Map<string, Map<string, Remembered>>();
  const lookups: Record<LookupResult, number> = { found: 0, missing: 0, error: 0, skipped: 0 };
  let running = 0;
  const waiting: (() => void)[] = [];

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

  const forget = (namespace: string, object: unknown): void => {
    const metadata = isPlainObject(object) ? object["metadata"] : undefined;
    const name = isPlainObject(metadata) ? metadata["name"] : undefined;
    if (typeof name === "string" && index.get(namespace)?.delete(name)) generation++;
  };

  /** Every page of a namespace's list; the list then is the truth (drops what a missed DELETED left). */
  const list = async (namespace: string): Promise<KubernetesListObject<KubernetesObject>> => {
    const items: KubernetesObject[] = [];
    const byName = new Map<string, StoredContainerPatch>();
    let resourceVersion = "";
    let token: string | undefined;
    do {
      const page: unknown = await withDeadline(listTimeoutMs, (options) =>
        api.listNamespacedCustomObject(
          { group: GROUP, version: VERSION, namespace, plural: PLURAL, limit: LIST_PAGE_SIZE, _continue: token },
          options,
        ),
      );
      const body = isPlainObject(page) ? page : {};
      const metadata = isPlainObject(body["metadata"]) ? body["metadata"] : {};
      for (const item of Array.isArray(body["items"]) ? body["items"] : []) {
        const patch = isPlainObject(item) ? toStoredPatch(item, namespace) : undefined;
        if (!patch) continue;
        byName.set(patch.name, { ...patch, namespace });
        items.push(item as KubernetesObject);
      }
      resourceVersion = typeof metadata["resourceVersion"] === "string" ? metadata["resourceVersion"] : "";
      token = typeof metadata["continue"] === "string" && metadata["continue"] !== "" ? metadata["continue"] : undefined;
    } while (token !== undefined && !closing.signal.aborted);
    index.set(namespace, byName);
    generation++;
    listed.add(namespace);
    logger.info({ namespace, patches: byName.size, resourceVersion }, "ContainerPatches listed");
    return { apiVersion: `${GROUP}/${VERSION}`, kind: "ContainerPatchList", metadata: { resourceVersion }, items };
  };

  const informers = namespaces.map((namespace) => {
    const timeoutSeconds = options.watchTimeoutSeconds ?? Math.floor(300 + Math.random() * 300);
    let failures = 0;
    let retry: NodeJS.Timeout | undefined;
    let lastPhase: "list" | "watch" = "list";

    /**
     * The library's Watch, with what ListWatch lacks: a stall timer, a stream that ends
     * without a single event reported as an error (so it backs off instead of spinning), and
     * an abort of a watch that connects after close().
     */
    const guardedWatch = {
      watch: async (
        path: string,
        query: Record<string, unknown>,
        onEvent: (type: string, object: unknown, raw: unknown) => void,
        done: (err: unknown) => void,
      ) => {
        lastPhase = "watch";
        let events = 0;
        let finished = false;
        let controller: AbortController | undefined;
        const finish = (err: unknown): void => {
          if (finished) return;
          finished = true;
          clearTimeout(stall);
          closing.signal.removeEventListener("abort", abort);
          if (closing.signal.aborted) return; // ListWatch is stopped: nothing to tell it
          done(err ?? failure ?? (events === 0 ? new Error("the watch closed without a single event") : null));
        };
        const abort = (): void => {
          controller?.abort();
          finish(null);
        };
        const stall = setTimeout(
          () => {
            controller?.abort();
            finish(new Error(`no watch event for ${timeoutSeconds} s past the server timeout`));
          },
          timeoutSeconds * 1000 + WATCH_STALL_GRACE_MS,
        );
        stall.unref();
        closing.signal.addEventListener("abort", abort, { once: true });
        let failure: Error | undefined;
        const onLine = (type: string, object: unknown, raw: unknown): void => {
          if (finished) return;
          events++;
          // ListWatch re-lists on a 410 ERROR event and silently resumes after any other: that
          // one is worth a warning and a backoff, as client-go's reflector does.
          const status = type === "ERROR" && isPlainObject(object) ? object : undefined;
          if (status && status["code"] !== 410) failure = new Error(`watch ERROR event: ${String(status["message"] ?? status["reason"])}`);
          failures = 0;
          stall.refresh();
          onEvent(type, object, raw);
        };
        try {
          controller = await watch.watch(path, { ...query, allowWatchBookmarks: true, timeoutSeconds }, onLine, finish);
        } catch (e) {
          controller = new AbortController(); // no current cluster in the kubeconfig: retried like any failure
          finish(e);
        }
        if (finished) controller.abort();
        return controller;
      },
    } as unknown as Watch;

    const path = `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/${PLURAL}`;
    const informer = new k8s.ListWatch<KubernetesObject>(
      path,
      guardedWatch,
      () => {
        lastPhase = "list";
        return list(namespace).then((result) => {
          failures = 0;
          return result;
        });
      },
      false,
    );
    informer.on("add", (object) => store(namespace, object));
    informer.on("update", (object) => store(namespace, object));
    informer.on("delete", (object) => forget(namespace, object));
    informer.on("error", (err) => {
      if (closing.signal.aborted) return;
      failures++;
      logger.warn({ err, namespace, failures }, `ContainerPatch ${lastPhase} failed; retrying`);
      retry = setTimeout(() => void informer.start(), backoffMs(failures));
      retry.unref();
    });
    void informer.start();
    return {
      informer,
      stop: () => {
        clearTimeout(retry);
        return informer.stop();
      },
    };
  });

  const rememberedResult = (namespace: string, name: string): Remembered["result"] | undefined => {
    const byName = remembered.get(namespace);
    const entry = byName?.get(name);
    if (entry === undefined) return undefined;
    if (entry.until > Date.now()) return entry.result;
    byName!.delete(name);
    return undefined;
  };

  const remember = (namespace: string, name: string, result: Remembered["result"]): void => {
    const byName = remembered.get(namespace) ?? new Map<string, Remembered>();
    remembered.set(namespace, byName);
    byName.delete(name);
    byName.set(name, { result, until: Date.now() + missTtlMs });
    if (byName.size > MAX_REMEMBERED) byName.delete(byName.keys().next().value as string);
  };

  /** Waits for one of the MAX_LOOKUPS_IN_FLIGHT slots; false when the queue is full. */
  const acquire = async (): Promise<boolean> => {
    if (running < MAX_LOOKUPS_IN_FLIGHT) {
      running++;
      return true;
    }
    if (waiting.length >= MAX_LOOKUPS_QUEUED) return false;
    await new Promise<void>((resolve) => waiting.push(resolve));
    return true;
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next)
      next(); // the slot passes on
    else running--;
  };

  /** A live GET of one name; the result joins the cache unless the watch got there first. */
  const fetchOne = async (namespace: string, name: string): Promise<boolean> => {
    if (!(await acquire())) {
      lookups.skipped++;
      return false;
    }
    try {
      const object: unknown = await withDeadline(getTimeoutMs, (options) =>
        api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name }, options),
      );
      if (!index.get(namespace)?.has(name)) store(namespace, object);
      const found = index.get(namespace)?.has(name) ?? false;
      if (found) lookups.found++;
      else remember(namespace, name, "missing"); // not a ContainerPatch we can use
      return found;
    } catch (e) {
      if (statusCodeOf(e) === 404) {
        lookups.missing++;
        remember(namespace, name, "missing");
        logger.debug({ namespace, name }, "ContainerPatch not found");
      } else if (!closing.signal.aborted) {
        lookups.error++;
        remember(namespace, name, "error");
        logger.warn({ err: e, namespace, name }, "live lookup of a ContainerPatch failed");
      }
      return false;
    } finally {
      release();
    }
  };

  /** Joins a lookup of the same name already in flight (free), else starts one if `budget` allows. */
  const lookUp = (namespace: string, name: string, budget: { left: number }): Promise<boolean> => {
    const pending = inFlight.get(name)?.get(namespace);
    if (pending) return pending;
    if (rememberedResult(namespace, name) !== undefined) return Promise.resolve(false);
    if (budget.left <= 0) {
      lookups.skipped++;
      return Promise.resolve(false);
    }
    budget.left--;
    const byNamespace = inFlight.get(name) ?? new Map<string, Promise<boolean>>();
    inFlight.set(name, byNamespace);
    const request = fetchOne(namespace, name).finally(() => {
      byNamespace.delete(namespace);
      if (byNamespace.size === 0 && inFlight.get(name) === byNamespace) inFlight.delete(name);
    });
    byNamespace.set(namespace, request);
    return request;
  };

  return {
    view: (controlPlaneNamespaces) =>
      viewOf(index, controlPlaneNamespaces, true, (namespace, name) => rememberedResult(namespace, name) === "missing"),
    synced: () => namespaces.every((namespace) => listed.has(namespace)),
    async resolve(lookIn, names) {
      if (closing.signal.aborted) return;
      const view = viewOf(index, lookIn);
      const budget = { left: MAX_LOOKUPS_PER_REQUEST };
      const seen = new Set<string>();
      const chains: Promise<void>[] = [];
      // One pass over the names, each distinct name once: a 256 KiB annotation holds ~37,000.
      for (const name of names) {
        if (seen.has(name)) continue;
        seen.add(name);
        // A name no object can have (a 262 KB annotation without commas is one name) is missing
        // for certain: asking would only send the API server a URL it refuses.
        if (!isObjectName(name) || view.get(name) !== undefined) continue;
        // Once the budget is spent, a name costs a few map reads, not a promise: 37,000 names
        // in one annotation must not turn into 37,000 pending lookups.
        if (budget.left <= 0 && !inFlight.has(name)) {
          if (!lookIn.every((namespace) => rememberedResult(namespace, name) !== undefined)) lookups.skipped++;
          continue;
        }
        chains.push(
          (async () => {
            for (const namespace of lookIn) if (await lookUp(namespace, name, budget)) return;
          })(),
        );
      }
      const all = Promise.all(chains);
      // Lookups still queued or in flight at the deadline finish in the background and fill the
      // cache; this request answers now, with those names unverified.
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, getTimeoutMs)));
      await Promise.race([all, deadline]);
      clearTimeout(timer);
    },
    countsByNamespace() {
      const counts: Record<string, number> = {};
      for (const [namespace, byName] of index) counts[namespace] = byName.size;
      return counts;
    },
    generation: () => generation,
    lookupCounts: () => ({ ...lookups }),
    async close() {
      closing.abort();
      await Promise.allSettled(informers.map(({ stop }) => stop()));
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
