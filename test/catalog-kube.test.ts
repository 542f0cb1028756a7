import { test } from "node:test";
import assert from "node:assert/strict";
import { createKubeCatalog } from "../src/catalog/kube.js";
import type { CatalogSource } from "../src/catalog/types.js";
import { FakeKubeApi } from "./support/fake-kube-api.js";
import { createMemoryLogger } from "./support/logger.js";
import { waitFor } from "./support/wait.js";

const CP = ["kuma-system"];

async function setUp(t: { after(fn: () => Promise<void>): void }, namespaces = CP, prepare: (api: FakeKubeApi) => void = () => {}) {
  const api = new FakeKubeApi();
  await api.start();
  prepare(api);
  const logger = createMemoryLogger();
  const catalog = await createKubeCatalog({ namespaces, logger, kubeConfig: api.kubeConfig(), backoff: { initialMs: 5, maxMs: 50 } });
  t.after(async () => {
    await catalog.close();
    await api.stop();
  });
  return { api, catalog, logger };
}

const cpuOf = (catalog: CatalogSource, name: string, namespaces = CP) =>
  ((catalog.view(namespaces).get(name)?.spec.sidecarPatch as { value: string }[] | undefined) ?? [])[0]?.value;

test("lists, then follows ADDED, MODIFIED, DELETED and BOOKMARK from the list's resourceVersion", async (t) => {
  const { api, catalog } = await setUp(t, CP, (api) => {
    api.put("kuma-system", "sidecar-a", "100m");
    api.put("shop", "elsewhere", "1");
  });
  await waitFor(() => catalog.synced(), "the first list");
  assert.equal(cpuOf(catalog, "sidecar-a"), '"100m"');
  assert.deepEqual(catalog.view(CP).get("sidecar-a"), {
    name: "sidecar-a",
    namespace: "kuma-system",
    spec: { sidecarPatch: [{ op: "add", path: "/resources/limits/cpu", value: '"100m"' }] },
  });
  assert.equal(api.count("list", "shop"), 0, "only control-plane namespaces are read");

  await waitFor(() => api.openWatches("kuma-system") === 1, "the watch");
  const watch = api.lastWatch("kuma-system");
  assert.equal(watch?.query["resourceVersion"], api.currentVersion);
  assert.equal(watch?.query["allowWatchBookmarks"], "true");

  api.put("kuma-system", "sidecar-b", "1");
  await waitFor(() => cpuOf(catalog, "sidecar-b") === '"1"', "ADDED");
  api.put("kuma-system", "sidecar-a", "250m");
  await waitFor(() => cpuOf(catalog, "sidecar-a") === '"250m"', "MODIFIED");
  api.remove("kuma-system", "sidecar-b");
  await waitFor(() => catalog.view(CP).get("sidecar-b") === undefined, "DELETED");
  assert.deepEqual(catalog.countsByNamespace(), { "kuma-system": 1 });

  // A bookmark moves the resourceVersion the next watch resumes from.
  const bookmark = api.bookmark("kuma-system");
  await new Promise((resolve) => setImmediate(resolve));
  api.drop("kuma-system");
  await waitFor(() => api.count("watch", "kuma-system") === 2 && api.openWatches("kuma-system") === 1, "the resumed watch");
  assert.equal(api.lastWatch("kuma-system")?.query["resourceVersion"], bookmark);
  assert.equal(api.count("list", "kuma-system"), 1, "a dropped stream is resumed, not re-listed");
});

test("a list in pages is followed to its last page", async (t) => {
  const { api, catalog } = await setUp(t, CP, (api) => {
    api.pageSize = 2;
    for (let i = 0; i < 5; i++) api.put("kuma-system", `p${i}`, "1");
  });
  await waitFor(() => catalog.synced(), "the list");
  assert.equal(api.count("list"), 3);
  assert.deepEqual(catalog.countsByNamespace(), { "kuma-system": 5 });
  assert.equal(api.requests.find((r) => r.kind === "list")?.query["limit"], "500");
});

test("reconnects after the server drops the stream and sees what happens next", async (t) => {
  const { api, catalog } = await setUp(t, CP, (api) => api.put("kuma-system", "a", "1"));
  await waitFor(() => catalog.synced() && api.openWatches() === 1, "the watch");
  for (let i = 0; i < 3; i++) {
    api.drop("kuma-system");
    await waitFor(() => api.count("watch") === i + 2 && api.openWatches() === 1, `reconnect ${i + 1}`);
  }
  api.put("kuma-system", "after-reconnect", "2");
  await waitFor(() => cpuOf(catalog, "after-reconnect") === '"2"', "an event on the new stream");
});

test("an ERROR 410 event (resourceVersion expired) forces a re-list that drops what was missed", async (t) => {
  const { api, catalog } = await setUp(t, CP, (api) => {
    api.put("kuma-system", "kept", "1");
    api.put("kuma-system", "deleted-while-away", "1");
  });
  await waitFor(() => catalog.synced() && api.openWatches() === 1, "the watch");
  api.remove("kuma-system", "deleted-while-away", { silently: true });
  api.put("kuma-system", "added-while-away", "3", { silently: true });
  api.expire("kuma-system");
  await waitFor(() => api.count("list") === 2, "the re-list");
  await waitFor(
    () => catalog.view(CP).get("added-while-away") !== undefined && catalog.view(CP).get("deleted-while-away") === undefined,
    "the re-listed state",
  );
  assert.ok(catalog.view(CP).get("kept"));
  await waitFor(() => api.openWatches() === 1, "a new watch");
  assert.equal(api.lastWatch("kuma-system")?.query["resourceVersion"], api.currentVersion);
});

test("another ERROR event resumes the watch from the last resourceVersion, without a re-list", async (t) => {
  const { api, catalog, logger } = await setUp(t, CP, (api) => api.put("kuma-system", "a", "1"));
  await waitFor(() => catalog.synced() && api.openWatches() === 1, "the watch");
  api.put("kuma-system", "b", "1");
  await waitFor(() => catalog.view(CP).get("b") !== undefined, "ADDED");
  const seen = api.currentVersion;
  api.fail("kuma-system", 500);
  await waitFor(() => api.count("watch") === 2 && api.openWatches() === 1, "the resumed watch");
  assert.equal(api.lastWatch("kuma-system")?.query["resourceVersion"], seen);
  assert.equal(api.count("list"), 1);
  assert.ok(logger.messages("warn").some((m) => /watch failed; retrying/.test(m)));
});

test("a watch answered with HTTP 410 Gone forces a re-list", async (t) => {
  const { api, catalog } = await setUp(t, CP, (api) => {
    api.put("kuma-system", "a", "1");
    api.failWatches = { count: 1, status: 410 };
  });
  await waitFor(() => catalog.synced() && api.openWatches() === 1, "the watch after the re-list");
  assert.equal(api.count("list"), 2);
  assert.ok(catalog.view(CP).get("a"));
});

test("failing lists and watches are retried with backoff until they succeed", async (t) => {
  const { api, catalog, logger } = await setUp(t, CP, (api) => {
    api.put("kuma-system", "a", "1");
    api.failLists = 3;
    api.failWatches = { count: 2, status: 500 };
  });
  await waitFor(() => catalog.synced(), "the list after failures");
  assert.equal(api.count("list"), 4);
  await waitFor(() => api.openWatches() === 1, "the watch after failures");
  assert.equal(api.count("watch"), 3);
  assert.equal(api.count("list"), 4, "a failed watch resumes from its resourceVersion");
  assert.ok(logger.messages("warn").filter((m) => /retrying/.test(m)).length >= 5);
});

test("synced() waits for the first list of every namespace", async (t) => {
  let release!: () => void;
  const { api, catalog } = await setUp(t, ["kuma-system", "kong-mesh-system"], (api) => {
    api.put("kong-mesh-system", "km", "1");
    api.listGates.set("kong-mesh-system", new Promise<void>((resolve) => (release = resolve)));
  });
  await waitFor(() => api.openWatches("kuma-system") === 1 && api.count("list", "kong-mesh-system") === 1, "one namespace listed");
  assert.equal(catalog.synced(), false);
  release();
  await waitFor(() => catalog.synced(), "both namespaces listed");
  assert.ok(catalog.view(["kuma-system", "kong-mesh-system"]).get("km"));
  assert.equal(catalog.view(["kuma-system"]).get("km"), undefined);
});

test("resolve() GETs each missing name once, live, and caches what it finds", async (t) => {
  const { api, catalog } = await setUp(t, CP, (api) => api.put("kuma-system", "cached", "1"));
  await waitFor(() => catalog.synced(), "the list");
  // Applied in the same `kubectl apply` as its first user: the watch has not delivered it yet.
  api.put("kuma-system", "just-applied", "5", { silently: true });
  await catalog.resolve(CP, ["cached", "just-applied", "missing", "missing"]);
  assert.equal(cpuOf(catalog, "just-applied"), '"5"');
  assert.equal(catalog.view(CP).get("missing"), undefined);
  assert.equal(api.count("get", "kuma-system", "just-applied"), 1);
  assert.equal(api.count("get", "kuma-system", "missing"), 1);
  assert.equal(api.count("get", "kuma-system", "cached"), 0);
  await catalog.resolve(CP, ["just-applied"]);
  assert.equal(api.count("get", "kuma-system", "just-applied"), 1, "now cached");
});

test("resolve() looks in each control-plane namespace and never throws", async (t) => {
  const { api, catalog, logger } = await setUp(t, ["kuma-system", "kong-mesh-system"]);
  await waitFor(() => catalog.synced(), "the lists");
  api.put("kong-mesh-system", "second", "1", { silently: true });
  await catalog.resolve(["kuma-system", "kong-mesh-system"], ["second"]);
  assert.ok(catalog.view(["kuma-system", "kong-mesh-system"]).get("second"));
  assert.equal(api.count("get", "kuma-system", "second"), 1);

  api.failGets = true;
  await catalog.resolve(["kuma-system"], ["broken"]);
  assert.ok(logger.messages("warn").includes("live lookup of a ContainerPatch failed"));
});

test("close() stops the watches and the retries", async (t) => {
  const { api, catalog } = await setUp(t, ["kuma-system", "kong-mesh-system"]);
  await waitFor(() => api.openWatches() === 2, "both watches");
  await catalog.close();
  await waitFor(() => api.openWatches() === 0, "the watches closed");
  const requests = api.requests.length;
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(api.requests.length, requests, "no reconnect after close");
  await catalog.resolve(CP, ["x"]);
  assert.equal(api.count("get"), 0);
});

test("an unreachable API server: not synced, retried, never thrown", async (t) => {
  const api = new FakeKubeApi();
  await api.start();
  const kubeConfig = api.kubeConfig();
  await api.stop();
  const logger = createMemoryLogger();
  const catalog = await createKubeCatalog({ namespaces: CP, logger, kubeConfig, backoff: { initialMs: 5, maxMs: 20 } });
  t.after(() => catalog.close());
  await waitFor(() => logger.messages("warn").length >= 3, "retries");
  assert.equal(catalog.synced(), false);
  await catalog.resolve(CP, ["a"]);
  assert.equal(catalog.view(CP).get("a"), undefined);
});

test("a live GET that hangs is given up after getTimeoutMs", async (t) => {
  const api = new FakeKubeApi();
  await api.start();
  const catalog = await createKubeCatalog({
    namespaces: CP,
    logger: createMemoryLogger(),
    kubeConfig: api.kubeConfig(),
    getTimeoutMs: 100,
  });
  t.after(async () => {
    await catalog.close();
    await api.stop();
  });
  await waitFor(() => catalog.synced(), "the list");
  api.hangGets = true;
  await catalog.resolve(CP, ["slow"]); // returns although the GET never answers
  // Under load the 100 ms may pass before the fake server has counted the GET: wait for it.
  await waitFor(() => api.count("get", "kuma-system", "slow") === 1, "the hanging GET");
});

test("close() while a list is still pending does not wait for it", async (t) => {
  const { api, catalog } = await setUp(t, CP, (api) => api.listGates.set("kuma-system", new Promise<void>(() => {})));
  await waitFor(() => api.count("list") === 1, "the pending list");
  await catalog.close();
  assert.equal(catalog.synced(), false);
});
