import { test } from "node:test";
import assert from "node:assert/strict";
import { createKubeHttp } from "../src/audit/kube-http.js";
import { createReferencesIndex } from "../src/audit/references.js";
import type { ReferencesIndex } from "../src/audit/references.js";
import type { Logger } from "../src/logger.js";
import { FakeListWatch } from "./support/fake-list-watch.js";
import { deployment, namespace, pod, replicaSet, store } from "./support/cluster-objects.js";
import { createMemoryLogger } from "./support/logger.js";
import { waitFor } from "./support/wait.js";

// The references index through a local API server: what it asks for (metadata only for Pods),
// what it keeps, and how it follows changes (watch, reconnect, 410 Gone re-list).

async function withIndex(
  fill: (api: FakeListWatch) => void,
  body: (api: FakeListWatch, index: ReferencesIndex) => Promise<void>,
): Promise<void> {
  const api = FakeListWatch.standard();
  await api.start();
  fill(api);
  const index = createReferencesIndex({
    http: createKubeHttp(api.kubeConfig()),
    logger: createMemoryLogger() as unknown as Logger,
    backoff: { initialMs: 10, maxMs: 50 },
    pageSize: 2,
  });
  try {
    await waitFor(() => index.synced());
    await body(api, index);
  } finally {
    await index.close();
    await api.stop();
  }
}

function cluster(api: FakeListWatch): void {
  const web = store(api, deployment("shop", "web", "sidecar-limits, init-limits"));
  store(api, deployment("shop", "cart", "sidecar-limits"));
  store(api, deployment("shop", "plain", undefined));
  const rs = store(api, replicaSet(web, "1"));
  store(api, pod("shop", "web-1-a", "sidecar-limits", rs));
  store(api, pod("batch", "one-off", "sidecar-limits"));
}

test("keeps workloads without a controller that name a patch: controllers from their pod template, bare Pods from metadata only", async () => {
  await withIndex(cluster, async (api, index) => {
    assert.deepEqual(index.users("sidecar-limits").first, ["Deployment shop/cart", "Deployment shop/web", "Pod batch/one-off"]);
    assert.equal(index.users("init-limits").total, 1);
    assert.equal(index.size(), 3);
    const podLists = api.requests.filter((r) => r.path === "/api/v1/pods" && r.query["watch"] === undefined);
    assert.ok(
      podLists.length > 0 && podLists.every((r) => r.accept.startsWith("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1")),
    );
    const deploymentLists = api.requests.filter((r) => r.path === "/apis/apps/v1/deployments" && r.query["watch"] === undefined);
    assert.ok(
      deploymentLists.every((r) => r.accept === "application/json"),
      "templates are not in PartialObjectMetadata",
    );
    assert.ok(
      deploymentLists.some((r) => r.query["continue"] !== undefined),
      "paged with limit 2",
    );
  });
});

test("the chains of names are grouped with a count and an example", async () => {
  await withIndex(cluster, async (_api, index) => {
    const chains = index.users("sidecar-limits").chains.map((c) => ({ names: [...c.names], count: c.count }));
    assert.deepEqual(
      chains.sort((a, b) => a.names.length - b.names.length),
      [
        { names: ["sidecar-limits"], count: 2 },
        { names: ["sidecar-limits", "init-limits"], count: 1 },
      ],
    );
  });
});

test("follows watch events: a new user, an annotation removed, a deletion", async () => {
  await withIndex(cluster, async (api, index) => {
    await waitFor(() => api.openWatches("deployments") === 1 && api.openWatches("pods") === 1);
    store(api, deployment("shop", "new", "sidecar-limits"));
    await waitFor(() => index.users("sidecar-limits").total === 4);
    store(api, deployment("shop", "cart", undefined));
    await waitFor(() => index.users("sidecar-limits").total === 3);
    api.remove("/api/v1", "pods", "batch", "one-off");
    await waitFor(() => index.users("sidecar-limits").total === 2);
    assert.deepEqual(index.users("sidecar-limits").first, ["Deployment shop/new", "Deployment shop/web"]);
    const podWatch = api.requests.find((r) => r.path === "/api/v1/pods" && r.query["watch"] === "true");
    assert.match(podWatch?.accept ?? "", /as=PartialObjectMetadataList/);
    assert.equal(podWatch?.query["allowWatchBookmarks"], "true");
  });
});

test("a dropped watch resumes from the last resourceVersion; one that expired (410 Gone) re-lists", async () => {
  await withIndex(cluster, async (api, index) => {
    await waitFor(() => api.openWatches("deployments") === 1);
    const listsBefore = api.requests.filter((r) => r.path === "/apis/apps/v1/deployments" && r.query["watch"] === undefined).length;
    api.dropWatches();
    await waitFor(() => api.openWatches("deployments") === 1);
    const resumed = api.requests.filter((r) => r.path === "/apis/apps/v1/deployments" && r.query["watch"] === "true").at(-1);
    assert.notEqual(resumed?.query["resourceVersion"], undefined);
    assert.equal(
      api.requests.filter((r) => r.path === "/apis/apps/v1/deployments" && r.query["watch"] === undefined).length,
      listsBefore,
      "no re-list after a plain reconnect",
    );

    // History compacted past the index's resourceVersion: the next watch gets 410 Gone and the index re-lists.
    api.compactedBelow = api.resourceVersion + 10;
    api.dropWatches();
    await waitFor(
      () => api.requests.filter((r) => r.path === "/apis/apps/v1/deployments" && r.query["watch"] === undefined).length > listsBefore,
      "a re-list",
    );
    store(api, deployment("shop", "after-relist", "sidecar-limits"));
    await waitFor(() => index.users("sidecar-limits").total === 4, "the watch after the re-list");
  });
});

test("not synced until every kind is listed", async () => {
  const api = FakeListWatch.standard();
  await api.start();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  api.beforeAnswer = (r) => (r.path === "/apis/batch/v1/cronjobs" ? gate : undefined);
  const index = createReferencesIndex({ http: createKubeHttp(api.kubeConfig()), logger: createMemoryLogger() as unknown as Logger });
  try {
    await waitFor(() => api.requests.some((r) => r.path === "/apis/batch/v1/cronjobs"));
    assert.equal(index.synced(), false);
    release();
    await waitFor(() => index.synced());
  } finally {
    release();
    await index.close();
    await api.stop();
  }
});

test("namespaces' injection labels come from a metadata-only list and follow the watch", async () => {
  const injection = (value?: string): Record<string, string> => (value === undefined ? {} : { "kuma.io/sidecar-injection": value });
  await withIndex(
    (api) => {
      store(api, namespace("shop", injection("enabled")));
      store(api, namespace("legacy", injection("disabled")));
      store(api, namespace("plain"));
    },
    async (api, index) => {
      await waitFor(() => index.namespaceLabels("plain") !== undefined);
      assert.deepEqual(index.namespaceLabels("shop"), injection("enabled"));
      assert.deepEqual(index.namespaceLabels("legacy"), injection("disabled"));
      assert.deepEqual(index.namespaceLabels("plain"), {});
      assert.equal(index.namespaceLabels("nowhere"), undefined, "an unknown namespace is unknown, not unlabelled");
      const lists = api.requests.filter((r) => r.path === "/api/v1/namespaces" && r.query["watch"] === undefined);
      assert.ok(lists.length > 0 && lists.every((r) => r.accept.startsWith("application/json;as=PartialObjectMetadataList")));
      store(api, namespace("plain", injection("enabled")));
      await waitFor(() => index.namespaceLabels("plain")?.["kuma.io/sidecar-injection"] === "enabled");
      assert.equal(index.size(), 0, "namespaces are not counted as workloads");
    },
  );
});
