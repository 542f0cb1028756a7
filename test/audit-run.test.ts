import { test } from "node:test";
import assert from "node:assert/strict";
import { runAuditCommand } from "../src/audit/command.js";
import { createKubeHttp } from "../src/audit/kube-http.js";
import { runAudit } from "../src/audit/run.js";
import { loadPolicy } from "../src/policy/load.js";
import { describeObject } from "../src/report/model.js";
import { FakeListWatch } from "./support/fake-list-watch.js";
import { containerPatch, deployment, namespace, pod, replicaSet, store } from "./support/cluster-objects.js";
import { createMemoryLogger } from "./support/logger.js";
import type { Logger } from "../src/logger.js";

// The audit through a local API server that speaks the list protocol: what it reads, how it
// pages, and what it reports, with the bundled default policy.

async function withCluster(fill: (api: FakeListWatch) => void, body: (api: FakeListWatch) => Promise<void>): Promise<void> {
  const api = FakeListWatch.standard();
  await api.start();
  try {
    fill(api);
    await body(api);
  } finally {
    await api.stop();
  }
}

const policy = await loadPolicy(undefined);
const http = (api: FakeListWatch) => createKubeHttp(api.kubeConfig());

/** A cluster with one patch, a Deployment that uses it, and one whose patch is gone (with a ReplicaSet and 3 pending Pods). */
function brokenCluster(api: FakeListWatch): void {
  store(api, namespace("kuma-system"));
  store(api, namespace("shop", { "kuma.io/sidecar-injection": "enabled" }));
  store(api, containerPatch("sidecar-limits"));
  store(api, deployment("shop", "web", "sidecar-limits"));
  const broken = store(api, deployment("shop", "cart", "deleted-patch"));
  const rs = store(api, replicaSet(broken, "7d9f"));
  for (const suffix of ["a", "b", "c"]) store(api, pod("shop", `cart-7d9f-${suffix}`, "deleted-patch", rs));
}

test("a Deployment whose patch is gone is denied with the next-creation consequence; its ReplicaSet and Pods are folded into it", async () => {
  await withCluster(brokenCluster, async (api) => {
    const result = await runAudit(http(api), policy, "test");
    const reported = result.report.objects.map(
      (o) => `${describeObject(o)}: ${o.findings.map((f) => `${f.action} ${f.ruleId}`).join(", ")}`,
    );
    assert.deepEqual(reported, ["Deployment shop/cart: deny workload-missing-patch"]);
    const message = result.report.objects[0]!.findings[0]!.message;
    assert.match(message, /missing: \["deleted-patch"\]/);
    assert.match(message, /pods of this Deployment will fail at their next creation/);
    assert.match(message, /also on 3 Pods it controls/);
    assert.equal(result.sharedPods, 3);
    assert.deepEqual(result.judged, { ContainerPatch: 1, Namespace: 2, Deployment: 2, ReplicaSet: 1, Pod: 3 });
    assert.deepEqual(result.violations, [{ ruleId: "workload-missing-patch", action: "deny", count: 1 }]);
  });
});

test("lists page by page with limit and continue, cluster-wide, reading every object once", async () => {
  await withCluster(brokenCluster, async (api) => {
    const result = await runAudit(http(api), policy, "test", { pageSize: 1 });
    assert.equal(result.judged["Pod"], 3);
    const podLists = api.requests.filter((r) => r.path === "/api/v1/pods");
    assert.equal(podLists.length, 3);
    assert.ok(podLists.every((r) => r.query["limit"] === "1"));
    assert.deepEqual(
      podLists.map((r) => r.query["continue"] !== undefined),
      [false, true, true],
    );
  });
});

test("an expired continue token (410 Gone) starts the list over and skips what was already judged", async () => {
  await withCluster(brokenCluster, async (api) => {
    api.expireContinueTokens = 1;
    const result = await runAudit(http(api), policy, "test", { pageSize: 1 });
    assert.equal(result.restarts, 1);
    // The first continue is ContainerPatches' (one patch, no continue) → the Namespaces' second page expires.
    assert.deepEqual(result.judged, { ContainerPatch: 1, Namespace: 2, Deployment: 2, ReplicaSet: 1, Pod: 3 });
    assert.equal(result.report.objects.length, 1);
  });
});

test("--namespace and --selector narrow what is judged; the catalog still holds every control-plane patch", async () => {
  await withCluster(
    (api) => {
      brokenCluster(api);
      store(api, namespace("other", { "kuma.io/sidecar-injection": "enabled" }));
      store(api, deployment("other", "api", "deleted-patch"));
    },
    async (api) => {
      const inShop = await runAudit(http(api), policy, "test", { namespace: "shop" });
      assert.deepEqual(inShop.report.objects.map(describeObject), ["Deployment shop/cart"]);
      assert.deepEqual(inShop.judged, { Namespace: 1, Deployment: 2, ReplicaSet: 1, Pod: 3 });
      assert.ok(api.requests.some((r) => r.path === "/apis/apps/v1/namespaces/shop/deployments"));

      const selected = await runAudit(http(api), policy, "test", { selector: "app=web" });
      assert.deepEqual(selected.report.objects, []);
      assert.equal(selected.judged["Deployment"], 1);
      assert.ok(api.requests.some((r) => r.path === "/apis/apps/v1/deployments" && r.query["labelSelector"] === "app=web"));
    },
  );
});

test("a Pod whose finding differs from its controller's is reported on its own", async () => {
  await withCluster(
    (api) => {
      store(api, containerPatch("sidecar-limits"));
      const web = store(api, deployment("shop", "web", "sidecar-limits"));
      const rs = store(api, replicaSet(web, "1"));
      store(api, pod("shop", "web-1-x", "edited-by-hand", rs));
    },
    async (api) => {
      const result = await runAudit(http(api), policy, "test");
      assert.deepEqual(result.report.objects.map(describeObject), ["Pod shop/web-1-x"]);
      assert.equal(result.sharedPods, 0);
    },
  );
});

test("a cluster without the Kuma CRD (404 on ContainerPatches) is audited with an empty catalog", async () => {
  const api = new FakeListWatch()
    .define("/api/v1", "namespaces", false)
    .define("/api/v1", "pods", true)
    .define("/apis/apps/v1", "deployments", true);
  for (const plural of ["replicasets", "statefulsets", "daemonsets"]) api.define("/apis/apps/v1", plural, true);
  for (const plural of ["jobs", "cronjobs"]) api.define("/apis/batch/v1", plural, true);
  await api.start();
  try {
    store(api, deployment("shop", "cart", "deleted-patch"));
    const result = await runAudit(http(api), policy, "test");
    assert.deepEqual(result.report.objects.map(describeObject), ["Deployment shop/cart"]);
  } finally {
    await api.stop();
  }
});

function capture(isTTY = false): { text: string; write(text: string): void; isTTY: boolean } {
  return {
    text: "",
    isTTY,
    write(text: string) {
      this.text += text;
    },
  };
}

test("the command prints check's formats with check's exit codes, and the audit's own summary", async () => {
  await withCluster(brokenCluster, async (api) => {
    const logger = createMemoryLogger() as unknown as Logger;
    const cases: { format: "text" | "json"; expect: (stdout: string) => void }[] = [
      {
        format: "text",
        expect: (out) =>
          assert.match(
            out,
            /^9 objects audited \(1 ContainerPatch, 2 Namespaces, 2 Deployments, 1 ReplicaSet, 3 Pods\) in [\d.]+ s: 1 denied, 0 warnings, 0 audited; 3 Pods share their controller's findings/m,
          ),
      },
      { format: "json", expect: (out) => assert.equal((JSON.parse(out) as { summary: { denied: number } }).summary.denied, 1) },
    ];
    for (const { format, expect } of cases) {
      const stdout = capture();
      const stderr = capture();
      const code = await runAuditCommand({ format }, { policy, http: http(api), logger, version: "test", stdout, stderr, env: {} });
      assert.equal(code, 1, format);
      expect(stdout.text);
      assert.doesNotMatch(stderr.text, /\r/, "no progress when stderr is not a terminal");
    }
  });
});

test("the command exits 0 on a clean cluster and 2 when the API server cannot be reached", async () => {
  const logger = createMemoryLogger() as unknown as Logger;
  await withCluster(
    (api) => {
      store(api, containerPatch("sidecar-limits"));
      store(api, deployment("shop", "web", "sidecar-limits"));
    },
    async (api) => {
      const code = await runAuditCommand(
        { format: "text" },
        { policy, http: http(api), logger, version: "test", stdout: capture(), stderr: capture(), env: {} },
      );
      assert.equal(code, 0);
    },
  );
  const api = FakeListWatch.standard();
  await api.start();
  const unreachable = http(api);
  await api.stop();
  const stderr = capture();
  const code = await runAuditCommand(
    { format: "text" },
    { policy, http: unreachable, logger, version: "test", stdout: capture(), stderr, env: {} },
  );
  assert.equal(code, 2);
  assert.match(stderr.text, /^kuma-guard audit: http:\/\/127\.0\.0\.1:\d+: /);
});
