import { createServer as createHttpServer } from "node:http";
import type { Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { createApp } from "./app.js";
import type { AppState } from "./app.js";
import { createMetrics } from "../metrics.js";
import type { Logger } from "../logger.js";
import type { CatalogSource } from "../catalog/types.js";
import type { Policy } from "../policy/types.js";

export interface ServeOptions {
  port: number;
  host: string;
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp: boolean;
  metricsPort?: number;
  shutdownDelaySeconds: number;
  maxBody: number;
}

export interface RunningServer {
  /** The webhook listener's port (useful with --port 0). */
  port: number;
  metricsPort?: number;
  /** Starts the graceful shutdown: readiness off, delay, stop accepting, drain, close. */
  shutdown(): Promise<void>;
}

export async function serve(options: ServeOptions, deps: { logger: Logger; policy: () => Policy; catalog: CatalogSource }): Promise<RunningServer> {
  const { logger, catalog } = deps;
  let draining = false;
  const metrics = createMetrics({ catalog: () => ({ synced: catalog.synced(), countsByNamespace: catalog.countsByNamespace() }) });
  const state = (): AppState => ({ policy: deps.policy(), catalog });
  const app = createApp({
    logger,
    metrics,
    state,
    maxBody: options.maxBody,
    isReady: () => !draining && catalog.synced(),
  });

  let server: Server;
  if (options.insecureHttp) {
    server = createHttpServer(app);
  } else {
    if (!options.tlsCert || !options.tlsKey) throw new Error("serve needs --tls-cert and --tls-key, or --insecure-http for local use");
    const [cert, key] = await Promise.all([readFile(options.tlsCert), readFile(options.tlsKey)]);
    server = createHttpsServer({ cert, key }, app);
  }
  const port = await listen(server, options.port, options.host);
  logger.info({ port, host: options.host, tls: !options.insecureHttp }, "kuma-guard listening");

  let metricsServer: Server | undefined;
  let metricsPort: number | undefined;
  if (options.metricsPort !== undefined) {
    metricsServer = createHttpServer(app);
    metricsPort = await listen(metricsServer, options.metricsPort, options.host);
  }

  return {
    port,
    ...(metricsPort !== undefined ? { metricsPort } : {}),
    async shutdown() {
      draining = true;
      logger.info({ delaySeconds: options.shutdownDelaySeconds }, "draining: readiness off");
      await new Promise((resolve) => setTimeout(resolve, options.shutdownDelaySeconds * 1000));
      await Promise.all([close(server), metricsServer ? close(metricsServer) : undefined]);
      await catalog.close();
      logger.info("stopped");
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
