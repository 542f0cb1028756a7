// Nothing from one request reaches another's answer: the same request gets the same answer
// whatever came before it, and messages quote the request's own text.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import request from "supertest";
import { review } from "../src/admission/review.js";
import type { AdmissionRequest } from "../src/admission/types.js";
import { createDefaultPolicy } from "../src/policy/compile.js";
import { createSnapshot, createSnapshotSource } from "../src/snapshot.js";
import { indexPatches, viewOf } from "../src/catalog/types.js";
import type { CatalogSource } from "../src/catalog/types.js";
import { admissionReview, createTestApp } from "./support/app.js";

const containerPatch = (spec: unknown) => ({
  apiVersion: "kuma.io/v1alpha1",
  kind: "ContainerPatch",
  metadata: { name: "sidecar-extra", namespace: "kuma-system" },
  spec,
});

/** A ContainerPatch whose value is an object, not a string: patch-value quotes it back as the fix. */
const withObjectValue = (valueJson: string) =>
  containerPatch(JSON.parse(`{"sidecarPatch":[{"op":"add","path":"/metadata","value":${valueJson}}]}`));

async function denialOf(app: ReturnType<typeof createTestApp>["app"], object: unknown): Promise<string> {
  const res = await request(app)
    .post("/validate")
    .send(admissionReview(object as { kind: string }));
  assert.equal(res.status, 200);
  return String(res.body.response.status?.message);
}

for (const order of [
  ['{"b":1,"a":2}', '{"a":2,"b":1}'],
  ['{"a":2,"b":1}', '{"b":1,"a":2}'],
]) {
  test(`equal content in two key orders (${order.join(" then ")}): each answer quotes its own request`, async () => {
    const { app } = createTestApp();
    for (const valueJson of order) {
      const message = await denialOf(app, withObjectValue(valueJson));
      assert.ok(message.includes(`value: '${valueJson}'`), `${message} should quote ${valueJson}`);
    }
  });
}

// A small pool of requests that exercise every cache of the snapshot: catalog chains, the
// default patches, ContainerPatches equal in content to catalog ones, broken ones.
const catalogPatches = [
  { name: "cpu", namespace: "kuma-system", spec: { sidecarPatch: [{ op: "add", path: "/resources/limits/cpu", value: '"1"' }] } },
  {
    name: "priv",
    namespace: "kuma-system",
    spec: { sidecarPatch: [{ op: "replace", path: "/securityContext/privileged", value: "true" }] },
  },
];
const deployment = (patches: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop" },
  spec: {
    template: {
      metadata: { annotations: { "kuma.io/container-patches": patches } },
      spec: { containers: [{ name: "web", image: "nginx:1.27" }] },
    },
  },
});
const pool: unknown[] = [
  deployment("cpu"),
  deployment("priv"),
  deployment("cpu,priv"),
  deployment("missing, cpu"),
  containerPatch(catalogPatches[0]!.spec),
  containerPatch({ sidecarPatch: [{ path: "/resources/limits/cpu", value: '"1"', op: "add" }] }),
  containerPatch({ sidecarPatch: [{ op: "replace", path: "/securityContext/privileged", value: "true" }] }),
  containerPatch({ sidecarPatch: [{ op: "add", path: "/securityContext/privileged", value: '"true"' }] }),
  withObjectValue('{"b":1,"a":2}'),
  withObjectValue('{"a":2,"b":1}'),
];

function requestOf(object: unknown): AdmissionRequest {
  const kind = (object as { kind: string }).kind;
  return {
    uid: "u",
    kind: kind === "ContainerPatch" ? { group: "kuma.io", version: "v1alpha1", kind } : { group: "apps", version: "v1", kind },
    namespace: kind === "ContainerPatch" ? "kuma-system" : "shop",
    name: "x",
    operation: "CREATE",
    object,
    oldObject: null,
    dryRun: false,
  };
}

test("any sequence of requests: each answer equals the answer a fresh server gives it", () => {
  const policy = createDefaultPolicy();
  const index = indexPatches(catalogPatches);
  const catalog: CatalogSource = {
    view: (namespaces) => viewOf(index, namespaces),
    generation: () => 1,
    synced: () => true,
    resolve: async () => {},
    countsByNamespace: () => ({}),
    close: async () => {},
  };
  const fresh = (object: unknown) =>
    review(requestOf(object), { snapshot: createSnapshot(policy, catalog.view(policy.settings.controlPlaneNamespaces)) });
  fc.assert(
    fc.property(fc.array(fc.nat(pool.length - 1), { minLength: 1, maxLength: 12 }), (picks) => {
      const snapshotOf = createSnapshotSource(); // one long-lived server
      for (const pick of picks) {
        const object = structuredClone(pool[pick]);
        assert.deepEqual(review(requestOf(object), { snapshot: snapshotOf(policy, catalog) }), fresh(structuredClone(pool[pick])));
      }
    }),
    { numRuns: 100 },
  );
});

test("a request naming thousands of patches is judged like a short one, and cannot grow the chains kept", () => {
  const policy = createDefaultPolicy();
  const index = indexPatches(catalogPatches);
  const view = viewOf(index, policy.settings.controlPlaneNamespaces);
  const snapshot = createSnapshot(policy, view);
  const names = Array.from({ length: 5000 }, (_, i) => `missing-${i}`);
  const long = snapshot.chain([...names, "cpu"]);
  assert.deepEqual(
    long.entries.map((entry) => entry.name),
    ["cpu"],
  );
  assert.equal(snapshot.chain(["cpu"]), long, "names the catalog lacks make no list of their own");
  const repeated = Array<string>(1000).fill("cpu");
  assert.notEqual(snapshot.chain(repeated), snapshot.chain(repeated), "a long list of found names is simulated, not kept");
  assert.equal(snapshot.chain(["cpu"]), snapshot.chain(["cpu"]), "a short list is kept");
});

test("with the namespaces' labels (serve --kube), a template labelled true in a namespace labelled disabled is denied", async () => {
  const labels: Record<string, Record<string, string>> = { legacy: { "kuma.io/sidecar-injection": "disabled" } };
  const { app } = createTestApp({ namespaceLabels: (namespace) => labels[namespace] });
  const web = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "legacy" },
    spec: {
      template: {
        metadata: { labels: { "kuma.io/sidecar-injection": "true" } },
        spec: { containers: [{ name: "web", image: "nginx:1.27" }] },
      },
    },
  };
  const message = await denialOf(app, web);
  assert.match(
    message,
    /^sidecar-injection: Deployment legacy\/web \(pod template\): kuma\.io\/sidecar-injection "true" injects nothing: namespace legacy is labelled "disabled"/,
  );
});
