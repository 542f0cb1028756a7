// A Kubernetes API server on 127.0.0.1 for any resource, speaking the real list/watch protocol:
// paged lists (`limit`, `continue`, sorted by namespace/name, 410 Gone on an expired continue
// token), label selectors (equality terms), `?watch=true` streams of JSON lines from a
// resourceVersion (410 when compacted), metadata-only answers for the PartialObjectMetadata
// Accept header, and GET/POST/PUT/DELETE of one object with resourceVersion conflicts (409).
// test/support/fake-kube-api.ts serves ContainerPatches only; this one serves every kind the
// audit, the references index, the Lease and the PolicyReports use.
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    labels?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
};

export interface RecordedRequest {
  method: string;
  /** "/apis/apps/v1/deployments" (collection, cluster-wide), or the namespaced or object path. */
  path: string;
  query: Record<string, string>;
  accept: string;
}

interface Collection {
  apiPath: string;
  plural: string;
  namespaced: boolean;
  /** "namespace/name" → object. */
  objects: Map<string, KubeObject>;
  /** Every change, for watches from an older resourceVersion. */
  events: { rv: number; type: string; object: KubeObject }[];
  /** The keys in list order, rebuilt after a change (the benchmark pages through 50,000 Pods). */
  sorted?: string[];
}

interface Stream {
  collection: Collection;
  namespace: string | undefined;
  metadataOnly: boolean;
  res: ServerResponse;
}

const ROUTE = /^(\/api\/v1|\/apis\/[^/]+\/[^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/;

export class FakeListWatch {
  readonly requests: RecordedRequest[] = [];
  private readonly collections = new Map<string, Collection>();
  private readonly streams = new Set<Stream>();
  private rv = 100;
  private uids = 0;
  /** Watches from a resourceVersion below this get 410 Gone. */
  compactedBelow = 0;
  /** Answer the next N requests that carry a continue token with 410 Gone. */
  expireContinueTokens = 0;
  /** Largest page, whatever the client's limit. */
  maxPageSize = Number.MAX_SAFE_INTEGER;
  /** Paths answered with this HTTP status (a Status body), whatever the method. */
  readonly failPaths = new Map<string, number>();
  /** Called before each request is answered; may delay it. */
  beforeAnswer: ((request: RecordedRequest) => Promise<void> | void) | undefined;
  private readonly server = createServer((req, res) => void this.handle(req, res));

  /** Declares a resource; objects of undeclared resources get 404 like an API that is not installed. */
  define(apiPath: string, plural: string, namespaced: boolean): this {
    this.collections.set(`${apiPath}/${plural}`, { apiPath, plural, namespaced, objects: new Map(), events: [] });
    return this;
  }

  /** Pods, Namespaces, the workload kinds, ContainerPatches, Leases and PolicyReports. */
  static standard(): FakeListWatch {
    return new FakeListWatch()
      .define("/api/v1", "pods", true)
      .define("/api/v1", "namespaces", false)
      .define("/apis/apps/v1", "deployments", true)
      .define("/apis/apps/v1", "replicasets", true)
      .define("/apis/apps/v1", "statefulsets", true)
      .define("/apis/apps/v1", "daemonsets", true)
      .define("/apis/batch/v1", "jobs", true)
      .define("/apis/batch/v1", "cronjobs", true)
      .define("/apis/kuma.io/v1alpha1", "containerpatches", true)
      .define("/apis/coordination.k8s.io/v1", "leases", true)
      .define("/apis/wgpolicyk8s.io/v1alpha2", "policyreports", true)
      .define("/apis/wgpolicyk8s.io/v1alpha2", "clusterpolicyreports", false);
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return this.port;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.streams) s.res.destroy();
    this.server.closeAllConnections();
    await closed;
  }

  kubeConfig(): KubeConfig {
    return kubeConfigFor(this.port);
  }

  get resourceVersion(): number {
    return this.rv;
  }

  /** Creates or replaces an object (sending a watch event) and returns the stored copy. */
  put(apiPath: string, plural: string, object: KubeObject): KubeObject {
    const collection = this.collection(apiPath, plural);
    const key = keyOf(object);
    const existed = collection.objects.has(key);
    const stored: KubeObject = structuredClone(object);
    stored.metadata.resourceVersion = String(++this.rv);
    stored.metadata.uid ??= collection.objects.get(key)?.metadata.uid ?? `uid-${++this.uids}`;
    collection.objects.set(key, stored);
    this.emit(collection, existed ? "MODIFIED" : "ADDED", stored);
    return stored;
  }

  /** Deletes an object (sending a watch event); false when there was none. */
  remove(apiPath: string, plural: string, namespace: string | undefined, name: string): boolean {
    const collection = this.collection(apiPath, plural);
    const key = `${namespace ?? ""}/${name}`;
    const object = collection.objects.get(key);
    if (!object) return false;
    collection.objects.delete(key);
    const gone: KubeObject = structuredClone(object);
    gone.metadata.resourceVersion = String(++this.rv);
    this.emit(collection, "DELETED", gone);
    return true;
  }

  get(apiPath: string, plural: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.collection(apiPath, plural).objects.get(`${namespace ?? ""}/${name}`);
  }

  all(apiPath: string, plural: string): KubeObject[] {
    return [...this.collection(apiPath, plural).objects.values()];
  }

  /** Ends every open watch stream (as a server restart or a load balancer would). */
  dropWatches(): void {
    for (const s of this.streams) s.res.end();
    this.streams.clear();
  }

  openWatches(plural?: string): number {
    return [...this.streams].filter((s) => plural === undefined || s.collection.plural === plural).length;
  }

  private collection(apiPath: string, plural: string): Collection {
    const collection = this.collections.get(`${apiPath}/${plural}`);
    if (!collection) throw new Error(`resource ${apiPath}/${plural} not defined`);
    return collection;
  }

  /** Keeps no event history (a benchmark's bulk load: nobody watches from before it). */
  recordEvents = true;

  private emit(collection: Collection, type: string, object: KubeObject): void {
    collection.sorted = undefined;
    if (this.recordEvents) collection.events.push({ rv: this.rv, type, object });
    for (const stream of this.streams) {
      if (stream.collection !== collection) continue;
      if (stream.namespace !== undefined && object.metadata.namespace !== stream.namespace) continue;
      stream.res.write(`${JSON.stringify({ type, object: stream.metadataOnly ? toPartial(object) : object })}\n`);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const query = Object.fromEntries(url.searchParams);
    const accept = String(req.headers.accept ?? "");
    const recorded: RecordedRequest = { method: req.method ?? "GET", path: url.pathname, query, accept };
    this.requests.push(recorded);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    await this.beforeAnswer?.(recorded);
    const failure = this.failPaths.get(url.pathname);
    if (failure !== undefined) return status(res, failure, "InternalError", `injected failure ${failure}`);
    const match = ROUTE.exec(url.pathname);
    const collection = match ? this.collections.get(`${match[1]}/${match[3]}`) : undefined;
    if (!match || !collection) return status(res, 404, "NotFound", `the server could not find the requested resource (${url.pathname})`);
    const namespace = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
    const name = match[4] === undefined ? undefined : decodeURIComponent(match[4]);
    const metadataOnly = accept.includes("as=PartialObjectMetadata");

    if (name === undefined && req.method === "GET" && query["watch"] === "true")
      return this.watch(collection, namespace, query, metadataOnly, res);
    if (name === undefined && req.method === "GET") return this.list(collection, namespace, query, metadataOnly, res);
    if (name === undefined && req.method === "POST") {
      const object = parse(chunks);
      if (!object) return status(res, 400, "BadRequest", "body is not a JSON object");
      if (collection.objects.has(`${namespace ?? ""}/${object.metadata.name}`))
        return status(res, 409, "AlreadyExists", `${collection.plural} "${object.metadata.name}" already exists`);
      if (namespace !== undefined) object.metadata.namespace = namespace;
      return json(res, 201, this.put(collection.apiPath, collection.plural, object));
    }
    if (name === undefined) return status(res, 405, "MethodNotAllowed", "method not allowed");
    const key = `${namespace ?? ""}/${name}`;
    const current = collection.objects.get(key);
    switch (req.method) {
      case "GET":
        return current
          ? json(res, 200, metadataOnly ? toPartial(current) : current)
          : status(res, 404, "NotFound", `${collection.plural} "${name}" not found`);
      case "PUT": {
        const object = parse(chunks);
        if (!object) return status(res, 400, "BadRequest", "body is not a JSON object");
        if (!current) return status(res, 404, "NotFound", `${collection.plural} "${name}" not found`);
        if (object.metadata.resourceVersion !== current.metadata.resourceVersion) {
          return status(
            res,
            409,
            "Conflict",
            `Operation cannot be fulfilled on ${collection.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
          );
        }
        if (namespace !== undefined) object.metadata.namespace = namespace;
        return json(res, 200, this.put(collection.apiPath, collection.plural, object));
      }
      case "DELETE":
        if (!current) return status(res, 404, "NotFound", `${collection.plural} "${name}" not found`);
        this.remove(collection.apiPath, collection.plural, namespace, name);
        return json(res, 200, current);
      default:
        return status(res, 405, "MethodNotAllowed", "method not allowed");
    }
  }

  private list(
    collection: Collection,
    namespace: string | undefined,
    query: Record<string, string>,
    metadataOnly: boolean,
    res: ServerResponse,
  ): void {
    let after = "";
    let listRv = this.rv;
    if (query["continue"]) {
      if (this.expireContinueTokens > 0) {
        this.expireContinueTokens--;
        return status(
          res,
          410,
          "Expired",
          "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
        );
      }
      try {
        const token = JSON.parse(Buffer.from(query["continue"], "base64").toString("utf8")) as { after: string; rv: number };
        after = token.after;
        listRv = token.rv;
      } catch {
        return status(res, 400, "BadRequest", "continue key is not valid");
      }
    }
    const selector = query["labelSelector"] ?? "";
    const sorted = (collection.sorted ??= [...collection.objects.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const limit = Math.min(query["limit"] ? Number(query["limit"]) : Number.MAX_SAFE_INTEGER, this.maxPageSize);
    const page: [string, KubeObject][] = [];
    let more = false;
    for (let i = firstAfter(sorted, after); i < sorted.length; i++) {
      const key = sorted[i]!;
      const object = collection.objects.get(key)!;
      if ((namespace !== undefined && object.metadata.namespace !== namespace) || !matchesSelector(object, selector)) continue;
      if (page.length === limit) {
        more = true;
        break;
      }
      page.push([key, object]);
    }
    const last = page.at(-1);
    const metadata: Record<string, unknown> = { resourceVersion: String(listRv) };
    if (more && last) metadata["continue"] = Buffer.from(JSON.stringify({ after: last[0], rv: listRv })).toString("base64");
    const items = page.map(([, object]) => (metadataOnly ? toPartial(object) : withoutKind(object)));
    json(
      res,
      200,
      metadataOnly
        ? { apiVersion: "meta.k8s.io/v1", kind: "PartialObjectMetadataList", metadata, items }
        : { apiVersion: "v1", kind: "List", metadata, items },
    );
  }

  private watch(
    collection: Collection,
    namespace: string | undefined,
    query: Record<string, string>,
    metadataOnly: boolean,
    res: ServerResponse,
  ): void {
    const from = Number(query["resourceVersion"] ?? "0");
    if (from > 0 && from < this.compactedBelow)
      return status(res, 410, "Expired", `too old resource version: ${from} (${this.compactedBelow})`);
    res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
    const stream: Stream = { collection, namespace, metadataOnly, res };
    for (const event of collection.events) {
      if (event.rv <= from) continue;
      if (namespace !== undefined && event.object.metadata.namespace !== namespace) continue;
      res.write(`${JSON.stringify({ type: event.type, object: metadataOnly ? toPartial(event.object) : event.object })}\n`);
    }
    this.streams.add(stream);
    res.on("close", () => this.streams.delete(stream));
  }
}

/** The index of the first key after `after` in sorted keys. */
function firstAfter(sorted: readonly string[], after: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! <= after) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** A kubeconfig for a FakeListWatch on this port of 127.0.0.1 (also from another process). */
export function kubeConfigFor(port: number): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: "fake", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "tester", token: "t" }],
    contexts: [{ name: "fake", cluster: "fake", user: "tester" }],
    currentContext: "fake",
  });
  return config;
}

function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? ""}/${object.metadata.name}`;
}

/** List items carry no apiVersion and kind, as from the real API server. */
function withoutKind(object: KubeObject): KubeObject {
  const { apiVersion: _a, kind: _k, ...rest } = object;
  return rest as KubeObject;
}

function toPartial(object: KubeObject): unknown {
  return { apiVersion: "meta.k8s.io/v1", kind: "PartialObjectMetadata", metadata: object.metadata };
}

function matchesSelector(object: KubeObject, selector: string): boolean {
  const labels = object.metadata.labels ?? {};
  for (const term of selector.split(",").filter((t) => t !== "")) {
    const [key, value] = term.includes("!=") ? term.split("!=") : term.split("=");
    if (term.includes("!=")) {
      if (labels[key!] === value) return false;
    } else if (value === undefined ? !(key! in labels) : labels[key!] !== value) return false;
  }
  return true;
}

function parse(chunks: Buffer[]): KubeObject | undefined {
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
    return typeof value === "object" && value !== null && typeof (value as KubeObject).metadata === "object"
      ? (value as KubeObject)
      : undefined;
  } catch {
    return undefined;
  }
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  json(res, code, { apiVersion: "v1", kind: "Status", status: "Failure", reason, message, code });
}
