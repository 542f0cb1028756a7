import { test } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { startAuditServices } from "../src/audit/background.js";
import { createKubeHttp } from "../src/audit/kube-http.js";
import type { KubeHttp } from "../src/audit/kube-http.js";
import { startLeaderElection } from "../src/audit/lease.js";
import type { LeaderElector } from "../src/audit/lease.js";
import { createPolicyReportWriter } from "../src/audit/policy-reports.js";
import type { Logger } from "../src/logger.js";
import { loadPolicy } from "../src/policy/load.js";
import { FakeListWatch } from "./support/fake-list-watch.js";
import { containerPatch, deployment, namespace, store } from "./support/cluster-objects.js";
import { createMemoryLogger } from "./support/logger.js";
import { waitFor } from "./support/wait.js";

// The server's background audit against a local API server: leader election with a Lease,
// one audit at a time, its metrics, and its last run.

const logger = () => createMemoryLogger() as unknown as Logger;
const LEASES = "/apis/coordination.k8s.io/v1";
/** Short periods so that handovers take a second, with client-go's proportions. */
const FAST = { leaseDurationSeconds: 1.5, renewDeadlineSeconds: 1, retryPeriodSeconds: 0.1 };

function elect(http: KubeHttp, identity: string, now?: () => number): LeaderElector {
  return startLeaderElection({
    http,
    namespace: "kuma-guard",
    name: "kuma-guard-audit",
    identity,
    logger: logger(),
    ...FAST,
    ...(now ? { now } : {}),
  });
}

/** A KubeHttp that fails every call once `down` is set: a replica cut off from the API server (or frozen). */
function severable(http: KubeHttp): { http: KubeHttp; sever(): void } {
  let down = false;
  return {
    http: {
      server: http.server,
      call: (...args) => (down ? Promise.reject(new Error("connection refused")) : http.call(...args)),
      watch: (...args) => (down ? Promise.reject(new Error("connection refused")) : http.watch(...args)),
    },
    sever: () => void (down = true),
  };
}

test("one replica leads; when it stops cleanly it releases the Lease and another takes over", async () => {
  const api = FakeListWatch.standard();
  await api.start();
  const http = createKubeHttp(api.kubeConfig());
  const a = elect(http, "replica-a");
  await waitFor(() => a.isLeader());
  const b = elect(http, "replica-b");
  try {
    await waitFor(() => api.requests.filter((r) => r.path.endsWith("/leases/kuma-guard-audit") && r.method === "GET").length > 10);
    assert.equal(b.isLeader(), false, "the lease is held and renewed");
    const lease = api.get(LEASES, "leases", "kuma-guard", "kuma-guard-audit")!;
    assert.equal((lease["spec"] as { holderIdentity: string }).holderIdentity, "replica-a");
    await a.close();
    assert.equal((api.get(LEASES, "leases", "kuma-guard", "kuma-guard-audit")!["spec"] as { holderIdentity: string }).holderIdentity, "");
    await waitFor(() => b.isLeader());
    const spec = api.get(LEASES, "leases", "kuma-guard", "kuma-guard-audit")!["spec"] as {
      holderIdentity: string;
      leaseTransitions: number;
      leaseDurationSeconds: number;
    };
    assert.equal(spec.holderIdentity, "replica-b");
    assert.equal(spec.leaseTransitions, 1);
  } finally {
    await Promise.all([a.close(), b.close()]);
    await api.stop();
  }
});

test("a leader that can no longer renew stops leading, and another replica takes over once the lease expires", async () => {
  // Both replicas read one clock, which runs ten times faster once the leader is cut off: the
  // renew deadline and the lease duration pass in a tenth of their time.
  let cutAt: number | undefined;
  const now = () => (cutAt === undefined ? Date.now() : cutAt + (Date.now() - cutAt) * 10);
  const api = FakeListWatch.standard();
  await api.start();
  const link = severable(createKubeHttp(api.kubeConfig()));
  const a = elect(link.http, "replica-a", now);
  await waitFor(() => a.isLeader());
  const b = elect(createKubeHttp(api.kubeConfig()), "replica-b", now);
  try {
    link.sever();
    cutAt = Date.now();
    await waitFor(() => !a.isLeader(), "the old leader to step down after its renew deadline");
    await waitFor(() => b.isLeader(), "the new leader after the lease duration");
    assert.equal(
      (api.get(LEASES, "leases", "kuma-guard", "kuma-guard-audit")!["spec"] as { holderIdentity: string }).holderIdentity,
      "replica-b",
    );
  } finally {
    await Promise.all([a.close(), b.close()]);
    await api.stop();
  }
});

test("the leader audits on schedule: metrics, last run and PolicyReports; a follower does not audit", async () => {
  const api = FakeListWatch.standard();
  await api.start();
  store(api, namespace("shop", { "kuma.io/sidecar-injection": "enabled" }));
  store(api, containerPatch("sidecar-limits"));
  store(api, deployment("shop", "web", "sidecar-limits"));
  store(api, deployment("shop", "cart", "deleted-patch"));
  const policy = await loadPolicy(undefined);
  const http = createKubeHttp(api.kubeConfig());
  const start = (identity: string, registry: Registry) =>
    startAuditServices({
      http,
      logger: logger(),
      policy: () => policy,
      version: "test",
      registry,
      intervalMs: 60_000,
      firstRunDelayMs: 0,
      lease: { namespace: "kuma-guard", identity, ...FAST },
      writeReports: (result) => createPolicyReportWriter({ http, logger: logger() }).write(result),
    });
  const leaderRegistry = new Registry();
  const leader = start("replica-a", leaderRegistry);
  await waitFor(() => leader.status().lastRun !== null, "the first audit");
  const followerRegistry = new Registry();
  const follower = start("replica-b", followerRegistry);
  try {
    const run = leader.status().lastRun!;
    assert.equal(run.result, "success");
    assert.deepEqual(run.summary, { denied: 1, warned: 0, audited: 0 });
    assert.deepEqual(
      run.objects?.map((o) => `${o.kind} ${o.namespace}/${o.name}`),
      ["Deployment shop/cart"],
    );

    const text = await leaderRegistry.metrics();
    assert.match(text, /^kuma_guard_audit_violations\{rule="workload-missing-patch",action="deny"\} 1$/m);
    assert.match(text, /^kuma_guard_audit_objects_judged 4$/m);
    assert.match(text, /^kuma_guard_audit_runs_total\{result="success"\} 1$/m);
    assert.match(text, /^kuma_guard_audit_leader 1$/m);
    assert.doesNotMatch(text, /^kuma_guard_audit_last_run_timestamp_seconds 0$/m);

    await waitFor(() => api.all("/apis/wgpolicyk8s.io/v1alpha2", "policyreports").length === 1, "the PolicyReport");
    const report = api.get("/apis/wgpolicyk8s.io/v1alpha2", "policyreports", "shop", "kuma-guard")!;
    assert.deepEqual(report["summary"], { pass: 0, fail: 1, warn: 0, error: 0, skip: 0 });

    // The follower runs the index for admission but never audits while the leader holds the lease.
    await waitFor(() => follower.references.synced());
    assert.equal(follower.status().leader, false);
    assert.equal(follower.status().lastRun, null);
    assert.doesNotMatch(await followerRegistry.metrics(), /^kuma_guard_audit_runs_total\{/m);
  } finally {
    await Promise.all([leader.close(), follower.close()]);
    await api.stop();
  }
});

test("an audit that fails is reported in metrics and in the last run, and the next one is not started while one runs", async () => {
  const api = FakeListWatch.standard();
  await api.start();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  api.beforeAnswer = (r) => (r.path === "/apis/kuma.io/v1alpha1/containerpatches" ? gate : undefined);
  api.failPaths.set("/apis/kuma.io/v1alpha1/containerpatches", 500);
  const policy = await loadPolicy(undefined);
  const registry = new Registry();
  const services = startAuditServices({
    http: createKubeHttp(api.kubeConfig()),
    logger: logger(),
    policy: () => policy,
    version: "test",
    registry,
    intervalMs: 60_000,
    firstRunDelayMs: 3_600_000,
    lease: { namespace: "kuma-guard", ...FAST },
  });
  try {
    const first = services.runOnce();
    await waitFor(() => services.status().running);
    assert.equal(await services.runOnce(), undefined, "one at a time");
    release();
    const run = await first;
    assert.equal(run?.result, "error");
    assert.match(await registry.metrics(), /^kuma_guard_audit_runs_total\{result="error"\} 1$/m);
    assert.equal(services.status().lastRun?.result, "error");
    assert.match(services.status().lastRun?.error ?? "", /HTTP 500: injected failure/);
  } finally {
    release();
    await services.close();
    await api.stop();
  }
});
