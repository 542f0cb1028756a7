import type { IncomingMessage, RequestListener, Server, ServerOptions, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { createApp } from "./app.js";
import type { AppState } from "./app.js";
import { createCertificateReloader } from "./tls.js";
import type { CertificatePair, CertificateReloader } from "./tls.js";
import { delay, SHUTDOWN_GRACE_MS, trackConnections } from "./shutdown.js";
import { createMetrics } from "../metrics.js";
import type { Metrics } from "../metrics.js";
import type { Logger } from "../logger.js";
import type { CatalogSource } from "../catalog/types.js";
import type { Policy } from "../policy/types.js";
import type { ControlPlaneFacts } from "../kuma/environment.js";
import { describeModel } from "../model.js";

// Not `import … from "node:http"`: on Node 22+ an ESM import of node:http reads every export,
// and its WebSocket getter loads undici and web streams (~75 internal modules, 1.4 MB of old
// space at idle on Node 24) that a webhook never uses. getBuiltinModule returns the module without touching its lazy getters.
const { createServer: createHttpServer, STATUS_CODES } = process.getBuiltinModule("node:http");

export interface ServeOptions {
  port: number;
  host: string;
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp: boolean;
  metricsPort?: number;
  /** CA bundle (PEM) the webhook port requires client certificates to be signed by. */
  clientCa?: string;
  /** With clientCa: the common name the client certificate must carry (the API server's). */
  clientCn?: string;
  shutdownDelaySeconds: number;
  maxBody: number;
  /** After the delay, how long in-flight requests may take before their sockets are destroyed. */
  shutdownGraceMs?: number;
  /** Overrides for the TLS file poll (tests); defaults in tls.ts. */
  tlsPollIntervalMs?: number;
  /** Overrides for the connection limits (tests); defaults in CONNECTION_LIMITS. */
  limits?: Partial<ConnectionLimits>;
}

/**
 * How long a client may take and how many connections it may hold. The API server sends
 * each request at once and waits at most the webhook's timeoutSeconds (≤ 30 s, 3 s in
 * deploy/), so a request still arriving after seconds is not from it; its Go HTTP client
 * keeps idle connections for 90 s (IdleConnTimeout), so ours stay open longer: a server
 * that closes an idle connection first can close it just as the client reuses it, and
 * the API server's call fails with "connection reset by peer". docs/operations.md → Connections.
 */
export interface ConnectionLimits {
  /** Whole request (headers and body) must arrive within this: a trickling client is cut off (408). */
  requestTimeoutMs: number;
  /** Header block must arrive within this (≤ requestTimeoutMs, as Node requires). */
  headersTimeoutMs: number;
  /** How often Node checks the two above: its default, 30 s, would let a request overstay by that much. */
  checkIntervalMs: number;
  /** Idle keep-alive connections are closed after this: longer than the Go client's 90 s. */
  keepAliveTimeoutMs: number;
  /** TLS handshake must complete within this (Node's default is 120 s). */
  handshakeTimeoutMs: number;
  /** Connections open at once per listener; more are refused until some close. */
  maxConnections: number;
}

export const CONNECTION_LIMITS: ConnectionLimits = {
  requestTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  checkIntervalMs: 1_000,
  keepAliveTimeoutMs: 120_000,
  handshakeTimeoutMs: 10_000,
  // A few API server replicas, each keeping its idle pool per webhook host, plus bursts: a
  // few dozen connections. 512 idle TLS connections hold some tens of MB; more would
  // threaten the 256 Mi limit.
  maxConnections: 512,
};

export interface ServeDeps {
  logger: Logger;
  policy: () => Policy;
  catalog: CatalogSource;
  /** Extra readiness (e.g. the policy loaded); /readyz also needs the catalog synced and no drain. */
  ready?: () => boolean;
  /** The Kuma judged against (--kuma-version, --kuma-config); 2.14 with Helm's defaults without. */
  controlPlane?: ControlPlaneFacts;
  /** --kube: starts the references index and the background audit (src/audit/background.ts) with the metrics registry. */
  startAudit?: (registry: Metrics["registry"]) => {
    references: NonNullable<AppState["references"]> & { namespaceLabels: NonNullable<AppState["namespaceLabels"]> };
    status(): unknown;
    close(): Promise<void>;
  };
}

export interface RunningServer {
  /** The webhook listener's port (useful with --port 0). */
  port: number;
  metricsPort?: number;
  /** The registry and counters the app reports to (e.g. for policy reload counts). */
  metrics: Metrics;
  /** The serving certificate's reloader; undefined with --insecure-http. */
  tls?: CertificateReloader;
  /** Graceful shutdown: readiness off, delay, stop accepting, drain, close. Idempotent. */
  shutdown(): Promise<void>;
}

export async function serve(options: ServeOptions, deps: ServeDeps): Promise<RunningServer> {
  const { logger, catalog } = deps;
  let draining = false;

  let tls: CertificateReloader | undefined;
  const metrics = createMetrics({
    catalog: () => ({
      synced: catalog.synced(),
      countsByNamespace: catalog.countsByNamespace(),
      lookups: catalog.lookupCounts?.(),
      skippedFiles: catalog.skippedFiles?.(),
    }),
    certificateExpiry: () => (tls ? tls.current().notAfter.getTime() / 1000 : undefined),
  });
  const audit = deps.startAudit?.(metrics.registry);
  const namespaceLabels = audit ? (namespace: string) => audit.references.namespaceLabels(namespace) : undefined;
  const state = (): AppState => ({
    policy: deps.policy(),
    catalog,
    references: audit?.references,
    ...(namespaceLabels ? { namespaceLabels } : {}),
  });
  const appDeps = {
    logger,
    metrics,
    state,
    maxBody: options.maxBody,
    isReady: () => !draining && catalog.synced() && (deps.ready?.() ?? true),
    ...(deps.controlPlane ? { controlPlane: deps.controlPlane } : {}),
  };
  const limits = { ...CONNECTION_LIMITS, ...options.limits };
  const httpOptions: ServerOptions = {
    // Node answers an HTTP/1.1 request without Host itself, with an empty body; requireHost() does it with JSON.
    requireHostHeader: false,
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
  };
  if (options.clientCa !== undefined && options.insecureHttp)
    throw new Error("--client-ca needs TLS: it cannot be combined with --insecure-http");
  if (options.clientCn !== undefined && options.clientCa === undefined)
    throw new Error("--client-cn needs --client-ca: without a CA no client certificate is asked for");

  // With a metrics port, /metrics is served only there; the webhook port keeps the probes.
  const handler = requireHost(createApp(appDeps, options.metricsPort === undefined ? "all" : "webhook"));
  let server: Server | HttpsServer;
  if (options.insecureHttp) {
    server = createHttpServer(httpOptions, handler);
  } else {
    if (!options.tlsCert || !options.tlsKey) throw new Error("serve needs --tls-cert and --tls-key, or --insecure-http for local use");
    let https: HttpsServer | undefined;
    tls = await createCertificateReloader({
      files: { cert: options.tlsCert, key: options.tlsKey, ...(options.clientCa !== undefined ? { ca: options.clientCa } : {}) },
      logger,
      // Only new handshakes use the new context: open connections keep working.
      apply: (pair) => https?.setSecureContext(secureContextOf(pair)),
      ...(options.tlsPollIntervalMs !== undefined ? { pollIntervalMs: options.tlsPollIntervalMs } : {}),
    });
    https = createHttpsServer(
      {
        ...httpOptions,
        ...secureContextOf(tls.current()),
        handshakeTimeout: limits.handshakeTimeoutMs,
        // With --client-ca, a client without a certificate signed by it fails the handshake.
        ...(options.clientCa !== undefined ? { requestCert: true, rejectUnauthorized: true } : {}),
      },
      handler,
    );
    if (options.clientCn !== undefined) requireCommonName(https, options.clientCn, logger);
    server = https;
  }
  server.maxConnections = limits.maxConnections;
  answerProtocolErrors(server);
  const drainer = trackConnections(server, () => draining);
  const port = await listen(server, options.port, options.host).catch((error: unknown) => {
    tls?.close();
    throw error;
  });
  logger.info(
    { port, host: options.host, tls: !options.insecureHttp, clientCa: options.clientCa, clientCn: options.clientCn },
    "kuma-guard listening",
  );

  let metricsServer: Server | undefined;
  let metricsDrainer: ReturnType<typeof trackConnections> | undefined;
  let metricsPort: number | undefined;
  if (options.metricsPort !== undefined) {
    const metricsApp = requireHost(createApp(appDeps, "metrics"));
    // GET /audit (the last background audit) and /debug/model live beside /metrics, never on the webhook port.
    metricsServer = createHttpServer(httpOptions, (req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? "/").split("?")[0];
      if (audit && req.method === "GET" && path === "/audit") return sendJson(res, 200, audit.status());
      if (req.method === "GET" && path === "/debug/model") return sendJson(res, 200, describeModel(deps.policy(), deps.controlPlane ?? {}));
      metricsApp(req, res);
    });
    metricsServer.maxConnections = limits.maxConnections;
    answerProtocolErrors(metricsServer);
    metricsDrainer = trackConnections(metricsServer, () => draining);
    metricsPort = await listen(metricsServer, options.metricsPort, options.host);
    logger.info({ port: metricsPort, host: options.host }, "kuma-guard metrics listening");
  }

  let stopping: Promise<void> | undefined;
  const graceMs = options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS;
  const shutdown = async (): Promise<void> => {
    draining = true;
    logger.info({ delaySeconds: options.shutdownDelaySeconds }, "draining: readiness off, still serving");
    await delay(options.shutdownDelaySeconds * 1000);
    logger.info({ graceMs }, "draining: no longer accepting connections, finishing in-flight requests");
    const results = await Promise.all([drainer.drain(graceMs), metricsDrainer?.drain(graceMs)]);
    if (results.some((r) => r?.forced)) logger.warn({ graceMs }, "draining: requests still running after the grace period were cut off");
    tls?.close();
    await Promise.all([catalog.close(), audit?.close()]);
    logger.info("stopped");
  };

  return {
    port,
    ...(metricsPort !== undefined ? { metricsPort } : {}),
    metrics,
    ...(tls ? { tls } : {}),
    shutdown() {
      stopping ??= shutdown();
      return stopping;
    },
  };
}

/** The listener's TLS material: serving pair, and the client CA when there is one. */
function secureContextOf(pair: CertificatePair) {
  return { cert: pair.cert, key: pair.key, ...(pair.ca !== undefined ? { ca: pair.ca } : {}) };
}

/**
 * --client-cn: the CA has verified the client's chain during the handshake; a certificate
 * of that CA with another common name is closed before it can send a request.
 */
function requireCommonName(server: HttpsServer, commonName: string, logger: Logger): void {
  server.on("secureConnection", (socket: TLSSocket) => {
    const subject = socket.getPeerCertificate().subject as Record<string, string | string[]> | undefined;
    const names = subject?.CN;
    if (names === commonName || (Array.isArray(names) && names.includes(commonName))) return;
    logger.warn(
      { remoteAddress: socket.remoteAddress, commonName: names, expected: commonName },
      "client certificate refused: wrong common name (--client-cn)",
    );
    socket.destroy();
  });
}

function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: message });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.end(JSON.stringify(body));
}

/** RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request without a Host header. */
function requireHost(next: RequestListener): RequestListener {
  return (req, res) => {
    if (req.httpVersion === "1.1" && req.headers.host === undefined) return sendError(res, 400, "an HTTP/1.1 request needs a Host header");
    next(req, res);
  };
}

/**
 * Requests Node's HTTP parser rejects (bad request line or header, header block over 16 KiB,
 * conflicting framing, timeouts) never reach the request listener; Node would answer them with an empty
 * body. They get the same JSON error shape as every other bad input, with Node's status codes.
 */
function answerProtocolErrors(server: Server | HttpsServer): void {
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    const response = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === "ECONNRESET" || !socket.writable || response?.headersSent) {
      socket.destroy();
      return;
    }
    const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    const body = JSON.stringify({ error: `unreadable HTTP request: ${error.code ?? error.message}` });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

function listen(server: Server | HttpsServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
