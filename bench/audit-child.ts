// One measurement in its own process, so that RSS and heap are the audit's alone:
//   node --expose-gc audit-child.js audit <port>   → {"seconds", "judged", "objects", "peakRssMb"}
//   node --expose-gc audit-child.js index <port>   → {"seconds", "kept", "heapBytes", "peakRssMb"}
//   node audit-child.js serve <port>                → kuma-guard serve with an audit on demand (see below)
import { createKubeHttp } from "../src/audit/kube-http.js";
import { createReferencesIndex } from "../src/audit/references.js";
import { runAudit } from "../src/audit/run.js";
import { loadPolicy } from "../src/policy/load.js";
import { kubeConfigFor } from "../test/support/fake-list-watch.js";
import type { Logger } from "../src/logger.js";

const [mode, port] = process.argv.slice(2);
const http = createKubeHttp(kubeConfigFor(Number(port)));
const silent = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

if (mode === "serve") {
  // kuma-guard's server with the audit in the same process, as the leader replica runs it:
  // prints {"port"}, then runs one background-sized audit per "audit" line on stdin.
  const { serve } = await import("../src/server/serve.js");
  const { createNoCatalog } = await import("../src/catalog/types.js");
  const policy = await loadPolicy(undefined);
  const running = await serve(
    { port: 0, host: "127.0.0.1", insecureHttp: true, shutdownDelaySeconds: 0, maxBody: 7 * 1024 * 1024 },
    { logger: silent, policy: () => policy, catalog: createNoCatalog() },
  );
  process.stdout.write(`${JSON.stringify({ port: running.port })}\n`);
  process.stdin.setEncoding("utf8");
  for await (const line of process.stdin) {
    if (!String(line).startsWith("audit")) continue;
    const started = performance.now();
    const result = await runAudit(http, policy, "bench", { pageSize: 100, maxReportedObjects: 2000 });
    const judged = Object.values(result.judged).reduce((a, b) => a + b, 0);
    process.stdout.write(`${JSON.stringify({ seconds: (performance.now() - started) / 1000, judged })}\n`);
  }
} else if (mode === "audit") {
  const policy = await loadPolicy(undefined);
  const started = performance.now();
  const result = await runAudit(http, policy, "bench");
  const seconds = (performance.now() - started) / 1000;
  const judged = Object.values(result.judged).reduce((a, b) => a + b, 0);
  process.stdout.write(
    `${JSON.stringify({ seconds, judged, reported: result.report.objects.length, sharedPods: result.sharedPods, peakRssMb: peakRssMb() })}\n`,
  );
} else {
  gc();
  const before = process.memoryUsage().heapUsed;
  const started = performance.now();
  const index = createReferencesIndex({ http, logger: silent });
  while (!index.synced()) await new Promise((resolve) => setTimeout(resolve, 20));
  const seconds = (performance.now() - started) / 1000;
  gc();
  const heapBytes = process.memoryUsage().heapUsed - before;
  process.stdout.write(`${JSON.stringify({ seconds, kept: index.size(), heapBytes, peakRssMb: peakRssMb() })}\n`);
  await index.close();
}
process.exit(0);
