// Stopping a listener without failing a request that reached it.
//
// Order, as DESIGN.md → HTTP endpoints and Kubernetes' pod termination want it: readiness
// turns off at once (the caller's `draining` flag), requests keep being served for the
// shutdown delay while the endpoint is removed from the Service, then the listener stops
// accepting, in-flight requests finish, and idle keep-alive connections are closed.
import type { Server } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";

type Listener = Server | HttpsServer;

/**
 * 10 s: after the delay, in-flight requests get this long to finish before their sockets are
 * destroyed. An admission request is bounded by the webhook's timeoutSeconds (≤ 3 s in the
 * deploy manifests, 30 s at most in Kubernetes), so 10 s covers every sane configuration; the
 * Deployment's terminationGracePeriodSeconds must exceed --shutdown-delay plus this.
 */
export const SHUTDOWN_GRACE_MS = 10_000;
/** How often connections that became idle after their last response are closed while draining. */
const IDLE_SWEEP_MS = 50;

/**
 * While `isDraining()` holds, every response carries `Connection: close`, so keep-alive
 * clients (the API server) move to a fresh connection — to another replica once this one is
 * out of the Service — instead of reusing a socket that will soon be closed under them.
 */
export function closeConnectionsWhileDraining(server: Listener, isDraining: () => boolean): void {
  server.prependListener("request", (_req: IncomingMessage, res: ServerResponse) => {
    if (isDraining()) res.setHeader("Connection", "close");
  });
}

/**
 * Stops accepting, lets in-flight requests finish, closes keep-alive connections as they go
 * idle, and destroys whatever is still open after `graceMs`. Resolves when every connection
 * is closed; never rejects (a listener that was not listening is already closed).
 */
export function drain(server: Listener, graceMs = SHUTDOWN_GRACE_MS): Promise<{ forced: boolean }> {
  return new Promise((resolve) => {
    let forced = false;
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const cap = setTimeout(() => {
      forced = true;
      server.closeAllConnections();
    }, graceMs);
    sweep.unref();
    cap.unref();
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(cap);
      resolve({ forced });
    });
    server.closeIdleConnections();
  });
}

/** Resolves after `ms`, keeping the process alive meanwhile (the shutdown delay must elapse). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
