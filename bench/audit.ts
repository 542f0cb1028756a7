// npm run bench -- --audit [--quick]
// The audit at scale against a local API server speaking the list protocol (its own process):
// 50,000 Pods, 10,000 Deployments, 1,000 ContainerPatches (--quick: a tenth). Measures the
// audit's wall time, objects/s and peak RSS, the references index's memory per 10,000 objects,
// and kuma-guard serve's admission p99 at a fixed rate, alone and with an audit beside it on the
// same machine (same run, so the ratio holds on a noisy shared host).
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import autocannon from "autocannon";
import { scenarios } from "./scenarios.js";
import { quantile, round } from "./stats.js";
import { freePort } from "../test/support/net.js";

const ROOT = new URL("../../", import.meta.url);
const here = (file: string): string => new URL(file, import.meta.url).pathname;

/** A child's first JSON line on stdout. */
function firstLine(child: ChildProcess): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const newline = text.indexOf("\n");
      if (newline >= 0) resolve(JSON.parse(text.slice(0, newline)) as Record<string, number>);
    });
    child.stderr?.on("data", (chunk: Buffer) => process.stderr.write(chunk));
    child.once("exit", (code) => reject(new Error(`child exited with ${code} before answering`)));
  });
}

/** A child's JSON lines on stdout, one at a time. */
function jsonLines(child: ChildProcess): { next(): Promise<Record<string, number>> } {
  const queue: Record<string, number>[] = [];
  const waiting: ((value: Record<string, number>) => void)[] = [];
  let text = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    text += chunk.toString();
    let newline: number;
    while ((newline = text.indexOf("\n")) >= 0) {
      const value = JSON.parse(text.slice(0, newline)) as Record<string, number>;
      text = text.slice(newline + 1);
      const waiter = waiting.shift();
      if (waiter) waiter(value);
      else queue.push(value);
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => process.stderr.write(chunk));
  return { next: () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise((resolve) => waiting.push(resolve))) };
}

function measure(mode: "audit" | "index", port: number): Promise<Record<string, number>> {
  const child = spawn(process.execPath, ["--expose-gc", here("audit-child.js"), mode, String(port)], { stdio: ["ignore", "pipe", "pipe"] });
  return firstLine(child);
}

/** p99 of admission latency at a fixed rate for `seconds`, against kuma-guard serve on `port`. */
async function admissionP99(port: number, seconds: number): Promise<{ p99: number; requests: number }> {
  const body = scenarios().find((s) => s.name === "deployment-3-patches")!.body;
  const latencies: number[] = [];
  const instance = autocannon({
    url: `http://127.0.0.1:${port}/validate`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    connections: 10,
    overallRate: 200,
    duration: seconds,
  }) as unknown as autocannon.Instance & Promise<autocannon.Result>;
  instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) => latencies.push(responseTime));
  await instance;
  latencies.sort((a, b) => a - b);
  return { p99: quantile(latencies, 0.99), requests: latencies.length };
}

export async function runAuditBench(quick: boolean): Promise<void> {
  const scale = quick ? 10 : 1;
  const counts = [50_000 / scale, 10_000 / scale, 1_000 / scale];
  const cluster = spawn(process.execPath, ["--max-old-space-size=4096", here("servers/fake-cluster.js"), ...counts.map(String)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const servePort = await freePort();
  const serve = spawn(
    process.execPath,
    [
      new URL("dist/cli.js", ROOT).pathname,
      "serve",
      "--insecure-http",
      "--host",
      "127.0.0.1",
      "--port",
      String(servePort),
      "--log-level",
      "warn",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  try {
    const { port } = await firstLine(cluster);
    process.stdout.write(`audit bench: ${counts[0]} Pods, ${counts[1]} Deployments, ${counts[2]} ContainerPatches on 127.0.0.1:${port}\n`);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // serve's start-up

    const audit = await measure("audit", port!);
    process.stdout.write(
      `audit: ${round(audit["seconds"]!, 2)} s for ${audit["judged"]} objects (${Math.round(audit["judged"]! / audit["seconds"]!)} objects/s), peak RSS ${audit["peakRssMb"]} MB, ${audit["reported"]} objects reported, ${audit["sharedPods"]} Pods folded\n`,
    );

    const index = await measure("index", port!);
    const watched = counts[0]! + counts[1]!;
    process.stdout.write(
      `references index: synced in ${round(index["seconds"]!, 2)} s, ${index["kept"]} of ${watched} objects kept, heap ${round(index["heapBytes"]! / 1e6, 2)} MB ` +
        `= ${round(index["heapBytes"]! / (watched / 10_000) / 1e6, 3)} MB per 10,000 objects watched (${round(index["heapBytes"]! / (watched / 100_000) / 1e6, 2)} MB per 100,000), peak RSS ${index["peakRssMb"]} MB\n`,
    );

    const seconds = Math.max(5, Math.min(15, Math.round(audit["seconds"]!)));
    const alone = await admissionP99(servePort, seconds);
    const during = measure("audit", port!);
    const beside = await admissionP99(servePort, seconds);
    await during;
    process.stdout.write(
      `admission p99 at 200 req/s (deployment-3-patches), audit in another process: ${round(alone.p99, 2)} ms alone, ${round(beside.p99, 2)} ms beside an audit (×${round(beside.p99 / alone.p99, 2)}; ${alone.requests}/${beside.requests} requests)\n`,
    );

    // As the leader runs it: the audit in the server's own process and event loop.
    const leader = spawn(process.execPath, [here("audit-child.js"), "serve", String(port)], { stdio: ["pipe", "pipe", "pipe"] });
    try {
      const lines = jsonLines(leader);
      const { port: leaderPort } = await lines.next();
      const quiet = await admissionP99(leaderPort!, seconds);
      leader.stdin?.write("audit\n");
      const loaded = await admissionP99(leaderPort!, seconds);
      const run = await lines.next();
      process.stdout.write(
        `admission p99 at 200 req/s, audit inside the server (pages of 100): ${round(quiet.p99, 2)} ms without, ${round(loaded.p99, 2)} ms during an audit (×${round(loaded.p99 / quiet.p99, 2)}; ${quiet.requests}/${loaded.requests} requests); that audit took ${round(run["seconds"]!, 2)} s\n`,
      );
    } finally {
      leader.kill("SIGTERM");
    }
  } finally {
    cluster.kill("SIGTERM");
    serve.kill("SIGTERM");
  }
}
