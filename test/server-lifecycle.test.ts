// The built CLI under SIGTERM, as the kubelet stops a pod: /readyz fails at once, requests
// keep being answered through --shutdown-delay, then the listener closes without failing one
// request that reached it, and the process exits 0. Also: the --metrics-port listener.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { Agent, request } from "node:http";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { admissionReview } from "./support/app.js";
import { CLI } from "./support/cli.js";
import { waitFor } from "./support/wait.js";

/** The repository root, from the compiled file in .test-build/test/. */
const ROOT = new URL("../../", import.meta.url);

interface Started {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  port: number;
  metricsPort: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `kuma-guard serve` and reads its ports from the "listening" log lines. */
async function startCli(args: string[]): Promise<Started> {
  const child = spawn(
    process.execPath,
    [CLI, "serve", "--insecure-http", "--host", "127.0.0.1", "--port", "0", "--metrics-port", "0", ...args],
    {
      cwd: fileURLToPath(ROOT),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  createInterface({ input: child.stdout! }).on("line", (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ msg: line });
    }
  });
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  const portOf = (msg: string) => logs.find((l) => l.msg === msg)?.port as number | undefined;
  await waitFor(() => {
    if (exitedEarly) throw new Error(`kuma-guard exited before listening: ${stderr}`);
    return portOf("kuma-guard listening") !== undefined && portOf("kuma-guard metrics listening") !== undefined;
  }, "kuma-guard to listen");
  return { child, logs, port: portOf("kuma-guard listening")!, metricsPort: portOf("kuma-guard metrics listening")!, exited };
}

interface Answer {
  status: number;
  body: string;
}

function send(port: number, method: string, path: string, body: string | undefined, agent: Agent | false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
    const req = request({ host: "127.0.0.1", port, method, path, agent, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

const pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "shop" },
  spec: { containers: [{ name: "app", image: "nginx" }] },
};
const REVIEW = JSON.stringify(admissionReview(pod, { uid: "lifecycle" }));
/** Upper bound on requests per worker, so a stream that is never stopped cannot loop forever. */
const MAX_REQUESTS_PER_WORKER = 20_000;

/**
 * A POST /validate whose body is sent in two parts: the request is in flight on the server
 * (headers read) until `finish()` sends the rest.
 */
function slowReview(port: number) {
  const body = Buffer.from(REVIEW);
  let finish!: () => void;
  const answer = new Promise<Answer>((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/validate",
        agent: false,
        headers: { "content-type": "application/json", "content-length": body.length },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.write(body.subarray(0, 10));
    finish = () => req.end(body.subarray(10));
  });
  return { answer, finish: () => finish() };
}

const isRefused = (error: unknown) => (error as NodeJS.ErrnoException).code === "ECONNREFUSED";

// Connections still in the kernel's accept queue at the instant the listening socket closes are
// reset by the kernel, whatever the server does: that is what --shutdown-delay is for. The
// stream below therefore stops opening connections during the delay, as clients do once the
// endpoint is gone; requests still in flight when the listener closes are the slow ones, opened
// before SIGTERM so that the one-second delay only has to cover the stream's last requests.
test("SIGTERM: readiness off at once, requests served through the delay, in-flight ones finished after the listener closes, exit 0", async () => {
  const cli = await startCli(["--shutdown-delay", "1"]);
  // Keep-alive clients, like the API server, plus ones that open a connection per request.
  const agent = new Agent({ keepAlive: true, maxSockets: 4, scheduling: "fifo" });
  const idleAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  let answered = 0;
  let endpointRemoved = false;
  const failures: string[] = [];

  const worker = async (useAgent: boolean): Promise<void> => {
    for (let i = 0; i < MAX_REQUESTS_PER_WORKER && !endpointRemoved; i++) {
      try {
        const answer = await send(cli.port, "POST", "/validate", REVIEW, useAgent ? agent : false);
        const review = JSON.parse(answer.body) as { response?: { uid?: string } };
        if (answer.status !== 200 || review.response?.uid !== "lifecycle") failures.push(`status ${answer.status}: ${answer.body}`);
        else answered++;
      } catch (error) {
        failures.push(`${useAgent ? "keep-alive" : "fresh"} request #${i}: ${(error as Error).message}`);
      }
    }
  };
  const workers = [worker(true), worker(true), worker(true), worker(true), worker(false), worker(false)];

  try {
    await waitFor(() => answered >= 20, "requests to be answered before SIGTERM");
    assert.equal((await send(cli.port, "GET", "/readyz", undefined, false)).status, 200);
    assert.equal((await send(cli.metricsPort, "GET", "/readyz", undefined, false)).status, 200);
    // A keep-alive connection that goes idle before SIGTERM and is never used again must not hold the exit up.
    assert.equal((await send(cli.port, "GET", "/healthz", undefined, idleAgent)).status, 200);
    const slow = [slowReview(cli.port), slowReview(cli.port), slowReview(cli.port)];

    cli.child.kill("SIGTERM");
    await waitFor(async () => (await send(cli.port, "GET", "/readyz", undefined, false)).status === 503, "/readyz to fail after SIGTERM");
    assert.equal((await send(cli.metricsPort, "GET", "/readyz", undefined, false)).status, 503);
    const atNotReady = answered;
    await waitFor(() => answered >= atNotReady + 10, "/validate to keep answering while not ready");
    assert.equal((await send(cli.port, "GET", "/healthz", undefined, false)).status, 200);

    endpointRemoved = true;
    await Promise.all(workers);
    await waitFor(() => cli.logs.some((l) => String(l.msg).startsWith("draining: no longer accepting")), "the listener to close");
    await waitFor(() => send(cli.port, "GET", "/healthz", undefined, false).then(() => false, isRefused), "new connections to be refused");
    for (const request of slow) request.finish();
    const answers = await Promise.all(slow.map((request) => request.answer));
    const { code, signal } = await cli.exited;

    assert.deepEqual(failures, [], "no request failed");
    for (const answer of answers) {
      assert.equal(answer.status, 200, "a request in flight when the listener closed is answered");
      assert.equal((JSON.parse(answer.body) as { response: { uid: string } }).response.uid, "lifecycle");
    }
    assert.equal(signal, null);
    assert.equal(code, 0);
    assert.ok(cli.logs.some((l) => l.msg === "stopped"));
    assert.ok(!cli.logs.some((l) => String(l.msg).includes("cut off")), "nothing needed the hard cap");
  } finally {
    agent.destroy();
    idleAgent.destroy();
    if (cli.child.exitCode === null) cli.child.kill("SIGKILL");
  }
});

test("the metrics port serves only GET /metrics, /healthz and /readyz", async () => {
  const cli = await startCli(["--shutdown-delay", "0"]);
  try {
    const metrics = await send(cli.metricsPort, "GET", "/metrics", undefined, false);
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /kuma_guard_admission_requests_total/);
    assert.equal((await send(cli.metricsPort, "GET", "/healthz", undefined, false)).status, 200);
    assert.equal((await send(cli.metricsPort, "GET", "/readyz?verbose", undefined, false)).status, 200);
    const validate = await send(cli.metricsPort, "POST", "/validate", REVIEW, false);
    assert.equal(validate.status, 404);
    assert.equal(typeof (JSON.parse(validate.body) as { error: unknown }).error, "string");
    assert.equal((await send(cli.metricsPort, "POST", "/metrics", "{}", false)).status, 405);
    // The webhook port still has /validate.
    assert.equal((await send(cli.port, "POST", "/validate", REVIEW, false)).status, 200);
    cli.child.kill("SIGTERM");
    assert.deepEqual(await cli.exited, { code: 0, signal: null });
  } finally {
    if (cli.child.exitCode === null) cli.child.kill("SIGKILL");
  }
});
