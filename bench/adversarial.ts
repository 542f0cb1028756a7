// npm run bench -- --adversarial: the worst requests the API server lets through, sent one at a
// time to a real kuma-guard (--kube against a fake API server on loopback, 200 patches), and the
// worst catalog files dropped into a --patches directory. Prints, per case, the review's
// latency (for a catalog file: of a review after the reload; every server answers one ordinary
// review first) and the server's longest event-loop stall (perf_hooks.monitorEventLoopDelay in the
// server process, through bench/servers/loop-monitor.ts), CPU time (all its threads, the
// figure to compare between runs on a shared machine) and minor page faults (memory mapped
// for the first time, which some sandboxes make costly: the header prints this machine's
// price). Goal (issue 17): every review under 50 ms, the event loop never blocked over 100 ms.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { KNOWN_ANNOTATIONS } from "../src/kuma/annotations.js";
import { containerPatch, CONTAINER_PATCH, DEPLOYMENT, patchName, POD, review } from "./scenarios.js";
import { round } from "./stats.js";
import { FakeKubeApi } from "../test/support/fake-kube-api.js";

const ROOT = new URL("../../", import.meta.url);
/** The API server's limit on all annotations of one object, keys and values (TotalAnnotationSizeLimitB). */
const ANNOTATION_BYTES = 256 * 1024;
/** The API server's limit on a request body (etcd's 1.5 MiB object limit is per object; 3 MiB per request). */
const REQUEST_BYTES = 3 * 1024 * 1024;
const GOAL_REVIEW_MS = 50;
const GOAL_STALL_MS = 100;

interface Case {
  name: string;
  body: string;
}

interface Row {
  name: string;
  bytes: number;
  status: number;
  ms: number;
  stallMs: number;
  rssMb?: number;
  /** The server's CPU time (all threads) during the case: steadier than `ms` on a shared machine. */
  cpuMs?: number;
  /** The server's minor page faults during the case. */
  faults?: number;
}

/** What the server's loop-monitor.ts answers. */
interface Monitored {
  maxMs: number;
  rssMb: number;
  cpuMs: number;
  faults: number;
}

interface Options {
  node: string;
  nodeOptions: string[];
  dir: string;
  freePort: () => Promise<number>;
}

/** Annotations of one object up to the API server's limit: `next(i)` gives the i-th key/value. */
function fill(next: (i: number) => [string, string]): Record<string, string> {
  const annotations: Record<string, string> = {};
  let bytes = 0;
  for (let i = 0; ; i++) {
    const [key, value] = next(i);
    if (bytes + key.length + value.length > ANNOTATION_BYTES) return annotations;
    annotations[key] = value;
    bytes += key.length + value.length;
  }
}

/** A value of about `bytes` characters made of `unit` repeated (for key `key`, so the total fits). */
function repeatTo(key: string, unit: (i: number) => string): string {
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < ANNOTATION_BYTES - key.length - 64; i++) {
    const part = unit(i);
    parts.push(part);
    length += part.length;
  }
  return parts.join("");
}

function pod(annotations: Record<string, string>, containers: unknown[] = [{ name: "app", image: "nginx:1.27" }]) {
  return { apiVersion: "v1", kind: "Pod", metadata: { name: "adversarial", namespace: "shop", annotations }, spec: { containers } };
}

/** Value shapes every parsed annotation gets, each filling the annotation budget. */
const VALUE_SHAPES: Record<string, (i: number) => string> = {
  "comma-numbers": (i) => `${i % 70000},`,
  "whitespace-commas": () => " ,\t",
  "uid-ports": (i) => `tcp:${i % 65536}:${i};`,
  "env-pairs": (i) => `K${i}=v;`,
  "json-nesting": (i) => (i % 2 === 0 ? "[" : '{"a":'),
  "one-token": () => "x",
};

function cases(): Case[] {
  const all: Case[] = [];
  const podCase = (name: string, annotations: Record<string, string>) => all.push({ name, body: review(POD, "shop", pod(annotations)) });

  podCase("annotations: many patch names", { "kuma.io/container-patches": repeatTo("kuma.io/container-patches", (i) => `p-${i},`) });
  podCase(
    "annotations: many unknown keys",
    fill((i) => [`kuma.io/u${i}`, ""]),
  );
  const known = [...KNOWN_ANNOTATIONS].filter((key) => key.includes("/"));
  podCase(
    "annotations: many near-typo keys",
    fill((i) => [`${known[i % known.length]!}${i}`.slice(0, 253 + 63), ""]),
  );
  podCase(
    "annotations: many 63-char unknown keys",
    fill((i) => [`kuma.io/${String(i).padStart(63, "z")}`, ""]),
  );
  podCase(
    "annotations: many aggregate keys",
    fill((i) => [`prometheus.metrics.kuma.io/aggregate-${"-a".repeat(10)}${i}-portx`, "1"]),
  );
  for (const [shape, unit] of Object.entries(VALUE_SHAPES)) {
    for (const key of KNOWN_ANNOTATIONS) podCase(`value ${shape}: ${key}`, { [key]: repeatTo(key, unit) });
  }
  const deep = 100_000;
  const nested = "[".repeat(deep) + "]".repeat(deep);
  all.push({
    name: "containerpatch: value nested 100,000 deep",
    body: review(CONTAINER_PATCH, "kuma-system", {
      ...containerPatch("deep"),
      spec: { sidecarPatch: [{ op: "add", path: "/env/-", value: nested }] },
    }),
  });
  const ops = [];
  for (let i = 0, bytes = 0; bytes < REQUEST_BYTES - 4096; i++) {
    const op = { op: "add", path: `/env/-`, value: JSON.stringify({ name: `E${i}`, value: "v" }) };
    ops.push(op);
    bytes += JSON.stringify(op).length + 1;
  }
  all.push({
    name: "containerpatch: 3 MiB of operations",
    body: review(CONTAINER_PATCH, "kuma-system", { ...containerPatch("huge"), spec: { sidecarPatch: ops } }),
  });
  const env = Array.from({ length: Math.floor((REQUEST_BYTES - 4096) / 1060) }, (_, i) => ({
    name: `SETTING_${i}`,
    value: "x".repeat(1024),
  }));
  all.push({
    name: "deployment: 3 MiB of env",
    body: review(DEPLOYMENT, "shop", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "big", namespace: "shop" },
      spec: {
        selector: { matchLabels: { app: "big" } },
        template: {
          metadata: { labels: { app: "big" }, annotations: { "kuma.io/container-patches": "patch-001" } },
          spec: { containers: [{ name: "app", image: "nginx", env }] },
        },
      },
    }),
  });
  return all;
}

/** A review slower than this is given up (the server is then restarted): the webhook's own timeout is 10 s at most. */
const GIVE_UP_MS = 20_000;

function post(port: number, body: string): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/validate",
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      },
    );
    req.setTimeout(GIVE_UP_MS, () => req.destroy(new Error(`no answer within ${GIVE_UP_MS} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** The server's event-loop monitor, over the IPC channel loop-monitor.ts opens. */
function monitorOf(child: ChildProcess) {
  const ask = (command: "reset" | "read"): Promise<Monitored> =>
    new Promise((resolve, reject) => {
      if (!child.connected) return reject(new Error("the server is gone"));
      const onExit = () => reject(new Error("the server is gone"));
      child.once("exit", onExit);
      child.once("message", (answer) => (child.off("exit", onExit), resolve(answer as Monitored)));
      child.send({ command });
    });
  return { reset: () => ask("reset"), read: () => ask("read") };
}

async function startServer(options: Options, serveArgs: string[], env: NodeJS.ProcessEnv, port: number): Promise<ChildProcess> {
  const cli = new URL("dist/cli.js", ROOT).pathname;
  const monitor = new URL(".test-build/bench/servers/loop-monitor.js", ROOT).href;
  const child = spawn(
    options.node,
    [
      ...options.nodeOptions,
      "--import",
      monitor,
      cli,
      "serve",
      "--insecure-http",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--log-level",
      "error",
      "--shutdown-delay",
      "0",
      ...serveArgs,
    ],
    {
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      env,
    },
  );
  for (let i = 0; i < 200; i++) {
    const ready = await new Promise<boolean>((resolve) => {
      const req = request({ host: "127.0.0.1", port, path: "/readyz" }, (res) => (res.resume(), resolve(res.statusCode === 200)));
      req.on("error", () => resolve(false));
      req.end();
    });
    if (ready) return child;
    await sleep(100);
  }
  throw new Error("kuma-guard did not become ready");
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  // SIGKILL: a server stuck in a review would not get to its SIGTERM handler.
  await new Promise((resolve) => (child.once("exit", resolve), child.kill("SIGKILL")));
}

/**
 * One ordinary review, so that a case measures its own work and not the server's first
 * review, which loads and compiles the Container schema validators (~100 ms, once per process).
 */
async function warmUp(port: number): Promise<void> {
  await post(port, review(POD, "shop", pod({ "kuma.io/container-patches": patchName(1) })));
}

/** Requests, one at a time, against --kube; a server that dies is reported and started again. */
async function requestCases(options: Options, print: (row: Row) => void): Promise<Row[]> {
  const api = new FakeKubeApi();
  await api.start();
  for (let i = 0; i < 200; i++) api.put("kuma-system", patchName(i), `${100 + i}m`, { silently: true });
  const kubeconfig = join(options.dir, "kubeconfig");
  writeFileSync(kubeconfig, api.kubeConfig().exportConfig());
  const launch = async () => {
    const port = await options.freePort();
    const child = await startServer(options, ["--kube"], { ...process.env, KUBECONFIG: kubeconfig }, port);
    await warmUp(port);
    return { port, child, monitor: monitorOf(child) };
  };
  let server = await launch();
  const rows: Row[] = [];
  try {
    for (const c of cases()) {
      await server.monitor.reset();
      const gets = api.count("get");
      const row: Row = { name: c.name, bytes: Buffer.byteLength(c.body), status: 0, ms: NaN, stallMs: NaN };
      try {
        const { status, ms } = await post(server.port, c.body);
        await sleep(20); // let a stall that outlived the response show up in the histogram
        const { maxMs, cpuMs, faults } = await server.monitor.read();
        Object.assign(row, { status, ms, stallMs: maxMs, cpuMs, faults });
      } catch {
        row.name += server.child.exitCode === null ? ` (over ${GIVE_UP_MS / 1000} s)` : " (server crashed)";
        row.ms = server.child.exitCode === null ? GIVE_UP_MS : NaN;
        await stopServer(server.child);
        server = await launch();
      }
      const calls = api.count("get") - gets;
      if (calls > 0) row.name += ` (${calls} GETs)`;
      rows.push(row);
      print(row);
    }
  } finally {
    await stopServer(server.child);
    await api.stop();
  }
  return rows;
}

/** Catalog files dropped into a watched --patches directory while the server idles. */
async function fileCases(options: Options, print: (row: Row) => void): Promise<Row[]> {
  const dir = join(options.dir, "adversarial-patches");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "good.yaml"), JSON.stringify(containerPatch("good")));
  const rows: Row[] = [];
  const patchesOf = (bytes: number) => {
    const docs: string[] = [];
    for (let i = 0, length = 0; length < bytes; i++) {
      const doc = JSON.stringify(containerPatch(`big-${i}`, 10));
      docs.push(doc);
      length += doc.length + 5;
    }
    return docs.join("\n---\n");
  };
  const files: { name: string; file: string; text: () => string }[] = [
    { name: "catalog file: 7.5 MiB of ContainerPatches", file: "big.yaml", text: () => patchesOf(7.5 * 1024 * 1024) },
    { name: "catalog file: 2.9 MiB of ContainerPatches", file: "big.yaml", text: () => patchesOf(2.9 * 1024 * 1024) },
    { name: "catalog file: JSON nested 100,000 deep", file: "deep.json", text: () => "[".repeat(100_000) + "]".repeat(100_000) },
    {
      name: "catalog file: ContainerPatch spec nested 10,000 deep",
      file: "deep-spec.json",
      text: () =>
        JSON.stringify({
          ...containerPatch("deep-spec"),
          spec: { sidecarPatch: [{ op: "add", path: "/x", value: "1", extra: "DEEP" }] },
        }).replace('"DEEP"', "[".repeat(10_000) + "]".repeat(10_000)),
    },
  ];
  // A fresh server per file, started on the good file alone, so that each case stands alone.
  // The review measured is one after the reload, on a warmed-up server: the first review of a
  // process is slow whatever the catalog holds. The stall is the reload's.
  for (const f of files) {
    const text = f.text();
    const port = await options.freePort();
    const child = await startServer(options, ["--patches", dir], process.env, port);
    const monitor = monitorOf(child);
    const row: Row = { name: f.name, bytes: Buffer.byteLength(text), status: 0, ms: NaN, stallMs: NaN };
    try {
      await post(port, review(POD, "shop", pod({ "kuma.io/container-patches": "good" })));
      await monitor.reset();
      writeFileSync(join(dir, f.file), text);
      await sleep(3000); // the watcher's debounce, the reload, and time for a stall to show
      const { maxMs, rssMb, cpuMs, faults } = await monitor.read();
      const { status, ms } = await post(port, review(POD, "shop", pod({ "kuma.io/container-patches": "good" })));
      Object.assign(row, { status, ms, stallMs: maxMs, rssMb, cpuMs, faults });
    } catch {
      row.name += child.exitCode === null && child.signalCode === null ? " (no answer)" : " (server crashed)";
    } finally {
      await stopServer(child);
      rmSync(join(dir, f.file), { force: true });
    }
    rows.push(row);
    print(row);
  }
  return rows;
}

const FAULT_PROBE_MIB = 16;

/**
 * The price of a minor page fault here: the time to touch fresh memory, per fault. Well under
 * 1 µs on a plain Linux host; a sandbox that traps each fault (gVisor) charges ~10 µs, and then
 * a review's first use of memory (a 3 MiB body, its string, its parsed objects) is much of its
 * time. The best of three probes.
 */
function pageFaultCost(): { microseconds: number; faults: number } {
  let best = { microseconds: Infinity, faults: 0 };
  for (let probe = 0; probe < 3; probe++) {
    const memory = Buffer.allocUnsafeSlow(FAULT_PROBE_MIB * 1024 * 1024);
    const before = process.resourceUsage().minorPageFault;
    const started = performance.now();
    memory.fill(1);
    const ms = performance.now() - started;
    const faults = process.resourceUsage().minorPageFault - before;
    if (faults > 0 && (ms * 1000) / faults < best.microseconds) best = { microseconds: (ms * 1000) / faults, faults };
  }
  return best;
}

export async function runAdversarial(options: Options): Promise<void> {
  const pad = (text: string | number, width: number) => String(text).padStart(width);
  const out = (line: string) => process.stdout.write(line + "\n");
  const print = (row: Row) => {
    const flag = !(row.ms <= GOAL_REVIEW_MS && row.stallMs <= GOAL_STALL_MS) ? "  !" : "";
    const optional = (value: number | undefined, digits: number) => (value === undefined ? "" : round(value, digits));
    out(
      `${row.name.slice(0, 79).padEnd(80)}${pad(row.bytes, 10)}${pad(row.status, 8)}${pad(round(row.ms, 1), 10)}${pad(round(row.stallMs, 1), 10)}${pad(optional(row.cpuMs, 1), 10)}${pad(optional(row.faults, 0), 8)}${pad(optional(row.rssMb, 0), 8)}${flag}`,
    );
  };
  const fault = pageFaultCost();
  out(
    `adversarial: node ${process.version}, one request at a time over loopback; goal: review < ${GOAL_REVIEW_MS} ms, event-loop stall < ${GOAL_STALL_MS} ms`,
  );
  out(
    fault.faults > 0
      ? `this machine: a minor page fault costs ${round(fault.microseconds, 2)} µs (${fault.faults} faults to touch ${FAULT_PROBE_MIB} MiB of fresh memory)`
      : "this machine: touching fresh memory caused no page fault to measure",
  );
  out(
    `${"case".padEnd(80)}${pad("bytes", 10)}${pad("status", 8)}${pad("ms", 10)}${pad("stall ms", 10)}${pad("cpu ms", 10)}${pad("faults", 8)}${pad("rss MB", 8)}`,
  );
  const rows = [...(await requestCases(options, print)), ...(await fileCases(options, print))];
  const requests = rows.filter((row) => row.rssMb === undefined && !Number.isNaN(row.ms));
  const slowest = requests.reduce((a, b) => (b.ms > a.ms ? b : a));
  const stalled = rows.filter((row) => !Number.isNaN(row.stallMs)).reduce((a, b) => (b.stallMs > a.stallMs ? b : a));
  out(
    `slowest review: ${round(slowest.ms, 1)} ms (${slowest.name}); longest event-loop stall: ${round(stalled.stallMs, 1)} ms (${stalled.name})`,
  );
  out(
    `over the goals or crashed: ${rows.filter((row) => !(row.ms <= GOAL_REVIEW_MS && row.stallMs <= GOAL_STALL_MS)).length} of ${rows.length} cases`,
  );
}
