// Stopping a listener without failing a request that reached it.
//
// Order, as DESIGN.md → HTTP endpoints and Kubernetes' pod termination want it: readiness
// turns off at once (the caller's `draining` flag), requests keep being served for the
// shutdown delay while the endpoint is removed from the Service, then the listener stops
// accepting, in-flight requests finish, and connections close as they go idle.
//
// http.Server#close() is not used to stop accepting: it also destroys every connection that
// has no parsed request yet (closeIdleConnections), which includes a connection accepted a
// moment ago whose request is still in the socket buffer — the client sees ECONNRESET for a
// request that reached the server. Connections are tracked here instead.
import { Server as NetServer } from "node:net";
import type { Socket } from "node:net";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Server as HttpsServer } from "node:https";
import { Server as TlsServer } from "node:tls";

type Listener = Server | HttpsServer;

/**
 * 10 s: after the delay, in-flight requests get this long to finish before their sockets are
 * destroyed. An admission request is bounded by the webhook's timeoutSeconds (≤ 3 s in the
 * deploy manifests, 30 s at most in Kubernetes), so 10 s covers every sane configuration; the
 * Deployment's terminationGracePeriodSeconds must exceed --shutdown-delay plus this.
 */
export const SHUTDOWN_GRACE_MS = 10_000;
/**
 * 1 s: a connection opened just before the listener closed gets this long to send its first
 * request (a client sends it right after connecting); then it is closed as idle.
 */
const FIRST_REQUEST_GRACE_MS = 1000;
/** How often connections that went idle are closed while draining. */
const SWEEP_MS = 50;

interface ConnectionState {
  inFlight: number;
  served: number;
  since: number;
}

export interface Drainer {
  /**
   * Stops accepting, lets in-flight requests finish, closes connections as they go idle, and
   * destroys whatever is still open after `graceMs`. Resolves when every connection is
   * closed; never rejects.
   */
  drain(graceMs?: number): Promise<{ forced: boolean }>;
}

/**
 * Tracks the listener's connections from now on. While `isDraining()` holds, every response
 * carries `Connection: close`, so keep-alive clients (the API server) move to a fresh
 * connection — to another replica once this one is out of the Service — instead of reusing a
 * socket that will be closed under them.
 */
export function trackConnections(server: Listener, isDraining: () => boolean): Drainer {
  const connections = new Map<Socket, ConnectionState>();
  let closing = false;
  let closingSince = 0;

  // Plain HTTP: the TCP socket is the request's socket; HTTPS: the TLS socket after the handshake.
  const connectionEvent = server instanceof TlsServer ? "secureConnection" : "connection";
  server.on(connectionEvent, (socket: Socket) => {
    connections.set(socket, { inFlight: 0, served: 0, since: Date.now() });
    socket.once("close", () => connections.delete(socket));
  });
  server.prependListener("request", (req: IncomingMessage, res: ServerResponse) => {
    if (isDraining()) res.setHeader("Connection", "close");
    const state = connections.get(req.socket);
    if (!state) return;
    state.inFlight++;
    res.once("close", () => {
      state.inFlight--;
      state.served++;
    });
  });

  // writableLength: a finished response may still sit in the socket's buffer; destroy() would drop it.
  const isIdle = (socket: Socket, state: ConnectionState, now: number): boolean =>
    state.inFlight === 0 &&
    socket.writableLength === 0 &&
    (state.served > 0 || now - Math.max(state.since, closingSince) > FIRST_REQUEST_GRACE_MS);
  const sweep = (): void => {
    const now = Date.now();
    for (const [socket, state] of connections) if (isIdle(socket, state, now)) socket.destroy();
  };

  return {
    drain(graceMs = SHUTDOWN_GRACE_MS) {
      return new Promise((resolve) => {
        if (closing) return resolve({ forced: false });
        closing = true;
        closingSince = Date.now();
        let forced = false;
        const sweeper = setInterval(sweep, SWEEP_MS);
        const cap = setTimeout(() => {
          forced = connections.size > 0;
          for (const socket of connections.keys()) socket.destroy();
          server.closeAllConnections(); // also those still in the TLS handshake
        }, graceMs);
        sweeper.unref();
        cap.unref();
        NetServer.prototype.close.call(server, () => {
          clearInterval(sweeper);
          clearTimeout(cap);
          server.close(); // already closed: only stops http's own connection-timeout timer
          resolve({ forced });
        });
        sweep();
      });
    },
  };
}

/** Resolves after `ms`, keeping the process alive meanwhile (the shutdown delay must elapse). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
