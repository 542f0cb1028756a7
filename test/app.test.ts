import { test } from "node:test";
import assert from "node:assert/strict";
import request from "supertest";
import { admissionReview, createTestApp } from "./support/app.js";
import { createNoCatalog } from "../src/catalog/types.js";
import type { CatalogSource } from "../src/catalog/types.js";
import { createDefaultPolicy } from "../src/policy/compile.js";
import type { Policy } from "../src/policy/types.js";

const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "shop" }, data: { a: "b" } };

test("an unrouted kind is allowed and the answer echoes uid and apiVersion", async () => {
  for (const apiVersion of ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"]) {
    const { app } = createTestApp();
    const res = await request(app)
      .post("/validate")
      .send(admissionReview(configMap, { apiVersion, uid: "abc-1" }));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { apiVersion, kind: "AdmissionReview", response: { uid: "abc-1", allowed: true } });
  }
});

const badBodies = [
  { name: "not JSON", body: "{nope", status: 400 },
  { name: "JSON that is not an object", body: "[1,2]", status: 400 },
  { name: "not an AdmissionReview", body: JSON.stringify({ kind: "Pod" }), status: 400 },
  {
    name: "unknown AdmissionReview version",
    body: JSON.stringify({ apiVersion: "admission.k8s.io/v2", kind: "AdmissionReview", request: {} }),
    status: 400,
  },
  { name: "no request", body: JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }), status: 400 },
  {
    name: "request without uid",
    body: JSON.stringify({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: { kind: { kind: "Pod" }, operation: "CREATE" },
    }),
    status: 400,
  },
];
for (const c of badBodies) {
  test(`a body that is ${c.name} gets ${c.status} with a JSON error`, async () => {
    const { app, metrics } = createTestApp();
    const res = await request(app).post("/validate").set("content-type", "application/json").send(c.body);
    assert.equal(res.status, c.status);
    assert.equal(typeof res.body.error, "string");
    assert.equal((await metrics.rejectedRequests.get()).values.find((v) => v.labels.reason === "malformed")?.value, 1);
  });
}

test("a body over --max-body gets 413", async () => {
  const { app } = createTestApp({ maxBody: 2048 });
  const res = await request(app)
    .post("/validate")
    .set("content-type", "application/json")
    .send(JSON.stringify({ pad: "x".repeat(4096) }));
  assert.equal(res.status, 413);
  assert.match(res.body.error, /2048 bytes/);
});

test("a wrong method gets 405 with Allow, an unknown path 404", async () => {
  const { app } = createTestApp();
  const wrong = await request(app).get("/validate");
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.allow, "POST");
  const missing = await request(app).post("/mutate").send({});
  assert.equal(missing.status, 404);
  assert.equal(typeof missing.body.error, "string");
});

test("/healthz is always 200 and /readyz follows readiness", async () => {
  let ready = false;
  const { app } = createTestApp({ ready: () => ready });
  assert.equal((await request(app).get("/healthz")).status, 200);
  assert.equal((await request(app).get("/readyz")).status, 503);
  ready = true;
  assert.equal((await request(app).get("/readyz")).status, 200);
});

/** A catalog whose view throws: a bug outside any rule, on a request that decoded fine. */
function brokenCatalog(): CatalogSource {
  return {
    ...createNoCatalog(),
    view: () => {
      throw new Error("catalog view exploded");
    },
  };
}

const internalErrorCases = [
  { onError: "allow", allowed: true },
  { onError: "deny", allowed: false },
] as const;
for (const c of internalErrorCases) {
  test(`an internal error on a readable review is answered with its uid, allowed ${c.allowed} under onError: ${c.onError}`, async () => {
    const policy: Policy = { ...createDefaultPolicy(), onError: c.onError };
    const { app, metrics, logs } = createTestApp({ policy, catalog: brokenCatalog() });
    const res = await request(app)
      .post("/validate")
      .send(admissionReview(configMap, { uid: "uid-broken" }));
    assert.equal(res.status, 200);
    assert.equal(res.body.response.uid, "uid-broken");
    assert.equal(res.body.response.allowed, c.allowed);
    assert.deepEqual(res.body.response.warnings, ["internal-error: kuma-guard failed: catalog view exploded"]);
    const decisions = (await metrics.admissionRequests.get()).values.map((v) => v.labels.decision);
    assert.deepEqual(decisions, ["error"]);
    const logged = logs.find((line) => line.msg === "internal error while reviewing: answered per onError");
    assert.match(String((logged?.err as { stack?: string } | undefined)?.stack), /catalog view exploded\n\s+at /);
  });
}

const endpointCases = [
  { endpoints: "webhook", served: ["/validate", "/healthz", "/readyz"], notServed: ["/metrics"] },
  { endpoints: "metrics", served: ["/metrics", "/healthz", "/readyz"], notServed: ["/validate"] },
  { endpoints: "all", served: ["/validate", "/metrics", "/healthz", "/readyz"], notServed: [] },
] as const;
for (const c of endpointCases) {
  test(`a ${c.endpoints} listener serves ${c.served.join(", ")} and nothing else`, async () => {
    const { app } = createTestApp({ endpoints: c.endpoints });
    for (const path of c.served) {
      const res = path === "/validate" ? await request(app).post(path).send(admissionReview(configMap)) : await request(app).get(path);
      assert.equal(res.status, 200, path);
    }
    for (const path of c.notServed) {
      const res = path === "/validate" ? await request(app).post(path).send(admissionReview(configMap)) : await request(app).get(path);
      assert.equal(res.status, 404, path);
      assert.match(res.body.error, /this port serves/);
    }
  });
}
