// A Kubernetes API server for containerpatches.kuma.io/v1alpha1 on 127.0.0.1 that speaks the real
// protocol: list JSON with a resourceVersion, `?watch=true` as a chunked stream of JSON lines,
// GET of one object, metav1.Status errors. Tests drive it: add/modify/delete objects with or
// without watch events, drop streams, expire resourceVersions.
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

export interface RecordedRequest {
  kind: "list" | "watch" | "get";
  namespace: string;
  name?: string;
  query: Record<string, string>;
}

type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion: string };
  spec: unknown;
};

const PATH = /^\/apis\/kuma\.io\/v1alpha1\/namespaces\/([^/]+)\/containerpatches(?:\/([^/]+))?$/;

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly streams = new Set<{ namespace: string; res: ServerResponse }>();
  private resourceVersion = 1000;
  /** Answer the next N lists with 500. */
  failLists = 0;
  /** Answer the next N watches with this HTTP status instead of a stream. */
  failWatches: { count: number; status: number } = { count: 0, status: 410 };
  /** Answer GETs of one object with 500. */
  failGets = false;
  /** Never answer GETs of one object. */
  hangGets = false;
  /** GETs of one object being answered now, and the most there ever were at once. */
  getsInFlight = 0;
  maxGetsInFlight = 0;
  /** Largest list page the server returns, whatever the client's limit. */
  pageSize = Number.MAX_SAFE_INTEGER;
  /** Lists of these namespaces wait until the promise settles. */
  readonly listGates = new Map<string, Promise<void>>();
  private readonly server = createServer((req, res) => void this.handle(req, res));

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    // Stop accepting first: a client reconnecting between closing connections and closing
    // the listener would otherwise hold close() open forever.
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.streams) s.res.destroy();
    this.server.closeAllConnections();
    await closed;
  }

  kubeConfig(): KubeConfig {
    const port = (this.server.address() as AddressInfo).port;
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: "fake", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: "tester", token: "t" }],
      contexts: [{ name: "fake", cluster: "fake", user: "tester" }],
      currentContext: "fake",
    });
    return config;
  }

  openWatches(namespace?: string): number {
    return [...this.streams].filter((s) => namespace === undefined || s.namespace === namespace).length;
  }

  count(kind: RecordedRequest["kind"], namespace?: string, name?: string): number {
    return this.requests.filter(
      (r) => r.kind === kind && (namespace === undefined || r.namespace === namespace) && (name === undefined || r.name === name),
    ).length;
  }

  lastWatch(namespace: string): RecordedRequest | undefined {
    return this.requests.filter((r) => r.kind === "watch" && r.namespace === namespace).at(-1);
  }

  get currentVersion(): string {
    return String(this.resourceVersion);
  }

  /** Create or replace an object; `silently` = no watch event (as if the stream missed it). */
  put(namespace: string, name: string, cpu: string, { silently = false } = {}): KubeObject {
    const byName = this.objects.get(namespace) ?? new Map<string, KubeObject>();
    const type = byName.has(name) ? "MODIFIED" : "ADDED";
    const object: KubeObject = {
      apiVersion: "kuma.io/v1alpha1",
      kind: "ContainerPatch",
      metadata: { name, namespace, resourceVersion: String(++this.resourceVersion) },
      spec: { sidecarPatch: [{ op: "add", path: "/resources/limits/cpu", value: JSON.stringify(cpu) }] },
    };
    byName.set(name, object);
    this.objects.set(namespace, byName);
    if (!silently) this.emit(namespace, { type, object });
    return object;
  }

  remove(namespace: string, name: string, { silently = false } = {}): void {
    const object = this.objects.get(namespace)?.get(name);
    if (!object) return;
    this.objects.get(namespace)?.delete(name);
    const deleted = { ...object, metadata: { ...object.metadata, resourceVersion: String(++this.resourceVersion) } };
    if (!silently) this.emit(namespace, { type: "DELETED", object: deleted });
  }

  bookmark(namespace: string): string {
    const rv = String(++this.resourceVersion);
    this.emit(namespace, {
      type: "BOOKMARK",
      object: { apiVersion: "kuma.io/v1alpha1", kind: "ContainerPatch", metadata: { resourceVersion: rv } },
    });
    return rv;
  }

  /** What the API server sends when the watch's resourceVersion left its watch cache, then closes. */
  expire(namespace: string): void {
    this.emit(namespace, {
      type: "ERROR",
      object: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: "too old resource version: 1 (2)",
        reason: "Expired",
        code: 410,
      },
    });
    this.drop(namespace);
  }

  /** Any other ERROR event (the API server closes the stream after it). */
  fail(namespace: string, code: number): void {
    this.emit(namespace, {
      type: "ERROR",
      object: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: "internal error",
        reason: "InternalError",
        code,
      },
    });
    this.drop(namespace);
  }

  /** End the open watch streams of a namespace, as an API server restart or a load balancer would. */
  drop(namespace: string): void {
    for (const s of [...this.streams]) if (s.namespace === namespace) s.res.end();
  }

  private emit(namespace: string, event: unknown): void {
    for (const s of this.streams) if (s.namespace === namespace) s.res.write(JSON.stringify(event) + "\n");
  }

  private status(res: ServerResponse, code: number, reason: string, message: string): void {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const match = PATH.exec(url.pathname);
    if (req.method !== "GET" || !match) return this.status(res, 404, "NotFound", "the server could not find the requested resource");
    const namespace = decodeURIComponent(match[1] ?? "");
    const name = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
    const query = Object.fromEntries(url.searchParams);
    if (name !== undefined) {
      this.requests.push({ kind: "get", namespace, name, query });
      this.getsInFlight++;
      this.maxGetsInFlight = Math.max(this.maxGetsInFlight, this.getsInFlight);
      res.on("close", () => this.getsInFlight--);
      if (this.hangGets) return;
      if (this.failGets) return this.status(res, 500, "InternalError", "etcd is down");
      const object = this.objects.get(namespace)?.get(name);
      if (!object) return this.status(res, 404, "NotFound", `containerpatches.kuma.io "${name}" not found`);
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(JSON.stringify(object));
    }
    if (query["watch"] === "true") {
      this.requests.push({ kind: "watch", namespace, query });
      if (this.failWatches.count > 0) {
        this.failWatches.count--;
        return this.status(res, this.failWatches.status, "Expired", "too old resource version");
      }
      res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
      res.flushHeaders();
      const stream = { namespace, res };
      this.streams.add(stream);
      res.on("close", () => this.streams.delete(stream));
      return;
    }
    this.requests.push({ kind: "list", namespace, query });
    await this.listGates.get(namespace);
    if (this.failLists > 0) {
      this.failLists--;
      return this.status(res, 500, "InternalError", "etcd is down");
    }
    // Pages of `limit` items; the continue token is the offset of the next page.
    const all = [...(this.objects.get(namespace)?.values() ?? [])];
    const offset = Number(query["continue"] ?? 0);
    const limit = Number(query["limit"] ?? this.pageSize);
    const end = Math.min(all.length, offset + Math.min(limit, this.pageSize));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        apiVersion: "kuma.io/v1alpha1",
        kind: "ContainerPatchList",
        metadata: { resourceVersion: String(this.resourceVersion), continue: end < all.length ? String(end) : "" },
        items: all.slice(offset, end),
      }),
    );
  }
}
