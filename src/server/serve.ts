import type { IncomingMessage, RequestListener, Server, ServerOptions, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { createApp } from "./app.js";
import type { AppState } from "./app.js";
import { createCertificateReloader } from "./tls.js";
import type { CertificateReloader } from "./tls.js";
import { delay, SHUTDOWN_GRACE_MS, trackConnections } from "./shutdown.js";
import { createMetrics } from "../metrics.js";
import type { Metrics } from "../metrics.js";
import type { Logger } from "../logger.js";
import type { CatalogSource } from "../catalog/types.js";
import type { Policy } from "../policy/types.js";

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
  shutdownDelaySeconds: number;
  maxBody: number;
  /** After the delay, how long in-flight requests may take before their sockets are destroyed. */
  shutdownGraceMs?: number;
  /** Overrides for the TLS file poll (tests); defaults in tls.ts. */
  tlsPollIntervalMs?: number;
}

export interface ServeDeps {
  logger: Logger;
  policy: () => Policy;
  catalog: CatalogSource;
  /** Extra readiness (e.g. the policy loaded); /readyz also needs the catalog synced and no drain. */
  ready?: () => boolean;
  /** --kube: starts the references index and the background audit (src/audit/background.ts) with the metrics registry. */
  startAudit?: (registry: Metrics["registry"]) => { references: AppState["references"]; status(): unknown; close(): Promise<void> };
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

/** Paths the --metrics-port listener serves; the webhook itself is only on the TLS port. */
const METRICS_LISTENER_PATHS: ReadonlySet<string> = new Set(["/metrics", "/healthz", "/readyz"]);

export async function serve(options: ServeOptions, deps: ServeDeps): Promise<RunningServer> {
  const { logger, catalog } = deps;
  let draining = false;

  let tls: CertificateReloader | undefined;
  const metrics = createMetrics({
    catalog: () => ({ synced: catalog.synced(), countsByNamespace: catalog.countsByNamespace() }),
    certificateExpiry: () => (tls ? tls.current().notAfter.getTime() / 1000 : undefined),
  });
  const audit = deps.startAudit?.(metrics.registry);
  const state = (): AppState => ({ policy: deps.policy(), catalog, references: audit?.references });
  const app = createApp({
    logger,
    metrics,
    state,
    maxBody: options.maxBody,
    isReady: () => !draining && catalog.synced() && (deps.ready?.() ?? true),
  });

  const handler = requireHost(app);
  let server: Server | HttpsServer;
  if (options.insecureHttp) {
    server = createHttpServer(HTTP_OPTIONS, handler);
  } else {
    if (!options.tlsCert || !options.tlsKey) throw new Error("serve needs --tls-cert and --tls-key, or --insecure-http for local use");
    let https: HttpsServer | undefined;
    tls = await createCertificateReloader({
      files: { cert: options.tlsCert, key: options.tlsKey },
      logger,
      // Only new handshakes use the new context: open connections keep working.
      apply: (pair) => https?.setSecureContext({ cert: pair.cert, key: pair.key }),
      ...(options.tlsPollIntervalMs !== undefined ? { pollIntervalMs: options.tlsPollIntervalMs } : {}),
    });
    const { cert, key } = tls.current();
    https = createHttpsServer({ ...HTTP_OPTIONS, cert, key }, handler);
    server = https;
  }
  answerProtocolErrors(server);
  const drainer = trackConnections(server, () => draining);
  const port = await listen(server, options.port, options.host).catch((error: unknown) => {
    tls?.close();
    throw error;
  });
  logger.info({ port, host: options.host, tls: !options.insecureHttp }, "kuma-guard listening");

  let metricsServer: Server | undefined;
  let metricsDrainer: ReturnType<typeof trackConnections> | undefined;
  let metricsPort: number | undefined;
  if (options.metricsPort !== undefined) {
    metricsServer = createHttpServer(HTTP_OPTIONS, (req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      if (METRICS_LISTENER_PATHS.has(path)) return handler(req, res);
      if (path === "/audit" && audit && req.method === "GET") return sendJson(res, 200, audit.status());
      sendError(res, 404, `no endpoint ${path} on the metrics port: it serves GET /metrics, /healthz, /readyz${audit ? ", /audit" : ""}`);
    });
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

/** Node answers an HTTP/1.1 request without Host itself, with an empty body; requireHost() does it with JSON. */
const HTTP_OPTIONS: ServerOptions = { requireHostHeader: false };

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
 * conflicting framing, timeouts) never reach express; Node would answer them with an empty
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
