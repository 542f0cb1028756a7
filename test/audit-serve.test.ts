import { test } from "node:test";
import assert from "node:assert/strict";
import { startAuditServices } from "../src/audit/background.js";
import { createKubeHttp } from "../src/audit/kube-http.js";
import { indexPatches, viewOf } from "../src/catalog/types.js";
import type { CatalogSource } from "../src/catalog/types.js";
import type { Logger } from "../src/logger.js";
import { loadPolicy } from "../src/policy/load.js";
import { DEFAULT_MAX_BODY } from "../src/server/app.js";
import { serve } from "../src/server/serve.js";
import { toStoredPatch } from "../src/manifests.js";
import { admissionReview } from "./support/app.js";
import { FakeListWatch } from "./support/fake-list-watch.js";
import { containerPatch, deployment, store } from "./support/cluster-objects.js";
import { createMemoryLogger } from "./support/logger.js";
import { waitFor } from "./support/wait.js";

// serve with the audit services: patch-in-use answers a ContainerPatch DELETE from the
// references index, and GET /audit on the metrics port shows the last audit.

test("serve --kube: a DELETE of a referenced patch is denied (and allowed once its user is gone); GET /audit answers on the metrics port", async () => {
  const api = FakeListWatch.standard();
  await api.start();
  const patch = containerPatch("sidecar-limits");
  store(api, patch);
  store(api, deployment("shop", "web", "sidecar-limits"));
  const policy = await loadPolicy(undefined);
  const stored = toStoredPatch(patch as unknown as Record<string, unknown>, "kuma-system")!;
  const catalog: CatalogSource = {
    view: (ns) => viewOf(indexPatches([stored]), ns),
    generation: () => 0,
    synced: () => true,
    resolve: async () => {},
    countsByNamespace: () => ({}),
    close: async () => {},
  };
  const logger = createMemoryLogger() as unknown as Logger;
  let services: ReturnType<typeof startAuditServices> | undefined;
  const running = await serve(
    { port: 0, host: "127.0.0.1", insecureHttp: true, metricsPort: 0, shutdownDelaySeconds: 0, maxBody: DEFAULT_MAX_BODY },
    {
      logger,
      policy: () => policy,
      catalog,
      startAudit: (registry) =>
        (services = startAuditServices({
          http: createKubeHttp(api.kubeConfig()),
          logger,
          policy: () => policy,
          version: "test",
          registry,
          intervalMs: 60_000,
          firstRunDelayMs: 0,
          lease: { namespace: "kuma-guard", leaseDurationSeconds: 1.5, renewDeadlineSeconds: 1, retryPeriodSeconds: 0.1 },
        })),
    },
  );
  const validate = async (): Promise<{ allowed: boolean; message?: string }> => {
    const res = await fetch(`http://127.0.0.1:${running.port}/validate`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(admissionReview({ ...patch, kind: "ContainerPatch" }, { operation: "DELETE" })),
    });
    const body = (await res.json()) as { response: { allowed: boolean; status?: { message: string } } };
    return { allowed: body.response.allowed, ...(body.response.status ? { message: body.response.status.message } : {}) };
  };
  try {
    await waitFor(() => services!.references.synced());
    const denied = await validate();
    assert.equal(denied.allowed, false);
    assert.match(
      denied.message ?? "",
      /patch-in-use: ContainerPatch kuma-system\/sidecar-limits is still referenced by 1 workload \(Deployment shop\/web\)/,
    );

    api.remove("/apis/apps/v1", "deployments", "shop", "web");
    await waitFor(() => services!.references.users("sidecar-limits").total === 0);
    assert.equal((await validate()).allowed, true);

    await waitFor(() => services!.status().lastRun !== null);
    const res = await fetch(`http://127.0.0.1:${running.metricsPort}/audit`);
    assert.equal(res.status, 200);
    const status = (await res.json()) as { leader: boolean; lastRun: { result: string; judged: Record<string, number> } };
    assert.equal(status.leader, true);
    assert.equal(status.lastRun.result, "success");
    assert.equal(status.lastRun.judged["ContainerPatch"], 1);
    assert.equal((await fetch(`http://127.0.0.1:${running.port}/audit`)).status, 404, "not on the webhook port");
  } finally {
    await running.shutdown();
    await api.stop();
  }
});
