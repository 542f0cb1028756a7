// The live lookups of the --kube catalog are bounded: per request, in flight, and in time.
// Each test reproduces a defect of issue 17 (5,000 names → 5,000 GETs, misses not remembered).
import { test } from "node:test";
import fc from "fast-check";
import assert from "node:assert/strict";
import { createKubeCatalog, MAX_LOOKUPS_IN_FLIGHT, MAX_LOOKUPS_PER_REQUEST } from "../src/catalog/kube.js";
import { isVerified } from "../src/kuma/model.js";
import { FakeKubeApi } from "./support/fake-kube-api.js";
import { createMemoryLogger } from "./support/logger.js";
import { waitFor } from "./support/wait.js";

const CP = ["kuma-system"];

async function setUp(t: { after(fn: () => Promise<void>): void }, options: { getTimeoutMs?: number; missTtlMs?: number } = {}) {
  const api = new FakeKubeApi();
  await api.start();
  const catalog = await createKubeCatalog({
    namespaces: CP,
    logger: createMemoryLogger(),
    kubeConfig: api.kubeConfig(),
    backoff: { initialMs: 5, maxMs: 50 },
    ...options,
  });
  t.after(async () => {
    await catalog.close();
    await api.stop();
  });
  await waitFor(() => catalog.synced(), "the list");
  return { api, catalog };
}

const names = (count: number, prefix = "p") => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

test("a Pod naming 5,000 patches costs at most MAX_LOOKUPS_PER_REQUEST GETs; the rest are unverified", async (t) => {
  const { api, catalog } = await setUp(t);
  api.put("kuma-system", "p-3", "1", { silently: true });
  await catalog.resolve(CP, names(5000));
  assert.equal(api.count("get"), MAX_LOOKUPS_PER_REQUEST);
  const view = catalog.view(CP);
  assert.ok(view.get("p-3"), "a name within the cap is found live");
  assert.equal(isVerified(view, "p-0"), true, "a 404 within the cap is known to be missing");
  assert.equal(isVerified(view, "p-4999"), false, "a name over the cap is not verified");
  assert.deepEqual(catalog.lookupCounts?.(), {
    found: 1,
    missing: MAX_LOOKUPS_PER_REQUEST - 1,
    error: 0,
    skipped: 5000 - MAX_LOOKUPS_PER_REQUEST,
  });
});

test("a miss is remembered for missTtlMs: the next request makes no GET for it", async (t) => {
  const { api, catalog } = await setUp(t, { missTtlMs: 200 });
  await catalog.resolve(CP, ["nope"]);
  await catalog.resolve(CP, ["nope"]);
  assert.equal(api.count("get", "kuma-system", "nope"), 1);
  await new Promise((resolve) => setTimeout(resolve, 250));
  await catalog.resolve(CP, ["nope"]);
  assert.equal(api.count("get", "kuma-system", "nope"), 2, "asked again once the miss expired");
});

test("a failed GET is remembered too, and leaves the name unverified", async (t) => {
  const { api, catalog } = await setUp(t);
  api.failGets = true;
  await catalog.resolve(CP, ["broken"]);
  await catalog.resolve(CP, ["broken"]);
  assert.equal(api.count("get"), 1);
  assert.equal(isVerified(catalog.view(CP), "broken"), false);
  assert.equal(catalog.lookupCounts?.().error, 1);
});

test("concurrent requests share one GET per name and never hold more than MAX_LOOKUPS_IN_FLIGHT", async (t) => {
  const { api, catalog } = await setUp(t, { getTimeoutMs: 150 });
  api.hangGets = true;
  // 20 requests, each naming 8 names of its own plus one name they all share.
  await Promise.all(Array.from({ length: 20 }, (_, i) => catalog.resolve(CP, ["shared", ...names(MAX_LOOKUPS_PER_REQUEST - 1, `r${i}`)])));
  assert.equal(api.count("get", "kuma-system", "shared"), 1);
  assert.ok(api.maxGetsInFlight <= MAX_LOOKUPS_IN_FLIGHT, `${api.maxGetsInFlight} GETs at once`);
  assert.equal(isVerified(catalog.view(CP), "shared"), false, "no answer: unverified, not missing");
});

test("property: no request makes more than MAX_LOOKUPS_PER_REQUEST GETs, whatever it names", async (t) => {
  const { api, catalog } = await setUp(t, { missTtlMs: 0 });
  for (let i = 0; i < 20; i++) api.put("kuma-system", `live-${i}`, "1", { silently: true });
  const name = fc.oneof(fc.constantFrom(...names(20, "live"), "", " "), fc.stringMatching(/^[a-z0-9-]{1,12}$/));
  await fc.assert(
    fc.asyncProperty(
      fc.array(name, { maxLength: 300 }),
      fc.subarray(["kuma-system", "kong-mesh-system", "other"], { minLength: 1 }),
      async (requested, lookIn) => {
        const before = api.count("get");
        await catalog.resolve(lookIn, requested);
        assert.ok(api.count("get") - before <= MAX_LOOKUPS_PER_REQUEST, `${api.count("get") - before} GETs`);
      },
    ),
    { numRuns: 40 },
  );
});

test("a name no ContainerPatch can have costs no GET and is missing for certain", async (t) => {
  const { api, catalog } = await setUp(t);
  // A 262 KB kuma.io/container-patches value without a comma is one name: its GET was refused
  // (431, the URL is too long), remembered as a failure, and the name left unverified.
  const impossible = ["tcp:0:0;".repeat(32_000), "Upper-Case", "p_1", "-lead", "a".repeat(254)];
  await catalog.resolve(CP, impossible);
  assert.equal(api.count("get"), 0);
  const view = catalog.view(CP);
  for (const name of impossible) assert.equal(isVerified(view, name), true, `${name.slice(0, 20)} is known to be missing`);
  assert.equal(isVerified(view, "a".repeat(253)), false, "a valid name nobody asked about stays unverified");
});
