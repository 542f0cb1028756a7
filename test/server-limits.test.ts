// The doors of a running server: deadlines that cut off a client that stalls, a connection
// cap, and /metrics only on the metrics port when there is one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { request } from "node:http";
import { pino } from "pino";
import { serve } from "../src/server/serve.js";
import type { ConnectionLimits, RunningServer } from "../src/server/serve.js";
import { DEFAULT_MAX_BODY } from "../src/server/app.js";
import { createDefaultPolicy } from "../src/policy/compile.js";
import { createNoCatalog } from "../src/catalog/types.js";
import { waitFor } from "./support/wait.js";

async function start(options: { metricsPort?: number; limits?: Partial<ConnectionLimits> } = {}): Promise<RunningServer> {
  const policy = createDefaultPolicy();
  return serve(
    { port: 0, host: "127.0.0.1", insecureHttp: true, shutdownDelaySeconds: 0, maxBody: DEFAULT_MAX_BODY, ...options },
    { logger: pino({ level: "silent" }), policy: () => policy, catalog: createNoCatalog() },
  );
}

/** Writes `bytes` and waits, without ending: what the server sends before it closes the connection. */
function stall(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNRESET" ? undefined : reject(error)));
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    })
      .on("error", reject)
      .end();
  });
}

/** Short deadlines so a stalled client is cut off within a test's patience. */
const SHORT = { requestTimeoutMs: 300, headersTimeoutMs: 300, checkIntervalMs: 50 };

const stalls = [
  { name: "a body that stops arriving", bytes: 'POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"apiVersion":' },
  { name: "headers that stop arriving", bytes: "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Len" },
  { name: "a connection that sends nothing", bytes: "" },
];
for (const c of stalls) {
  test(`${c.name}: answered 408 and the connection closed after the request deadline`, async () => {
    const running = await start({ limits: SHORT });
    try {
      const answer = await stall(running.port, c.bytes);
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.match(answer, /ERR_HTTP_REQUEST_TIMEOUT/);
      assert.equal(await get(running.port, "/healthz"), 200, "the server keeps serving");
    } finally {
      await running.shutdown();
    }
  });
}

test("connections over the cap are refused while the cap is full, and accepted again once one closes", async () => {
  const running = await start({ limits: { maxConnections: 1 } });
  try {
    const holder = connect({ host: "127.0.0.1", port: running.port });
    await new Promise((resolve) => holder.once("connect", resolve));
    await assert.rejects(get(running.port, "/healthz"), /ECONNRESET|socket hang up/);
    holder.destroy();
    await waitFor(
      async () => (await get(running.port, "/healthz").catch(() => 0)) === 200,
      "a connection accepted after the holder closed",
    );
  } finally {
    await running.shutdown();
  }
});

test("with --metrics-port, /metrics is served there and not on the webhook port", async () => {
  const running = await start({ metricsPort: 0 });
  try {
    assert.equal(await get(running.metricsPort!, "/metrics"), 200);
    assert.equal(await get(running.port, "/metrics"), 404);
    for (const path of ["/healthz", "/readyz"]) {
      assert.equal(await get(running.port, path), 200, `${path} on the webhook port`);
      assert.equal(await get(running.metricsPort!, path), 200, `${path} on the metrics port`);
    }
    assert.equal(await get(running.metricsPort!, "/validate"), 404);
  } finally {
    await running.shutdown();
  }
});

test("without --metrics-port, /metrics is served on the webhook port", async () => {
  const running = await start();
  try {
    assert.equal(await get(running.port, "/metrics"), 200);
  } finally {
    await running.shutdown();
  }
});
