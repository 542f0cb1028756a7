// Bad input never crashes and never gets a 5xx (DESIGN.md → HTTP endpoints): arbitrary
// bodies, AdmissionReviews with arbitrary fields and objects of every routed kind, arbitrary
// methods, paths and headers are answered 2xx/4xx with a JSON body; a well-formed review is
// answered with its own uid and apiVersion.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import request from "supertest";
import { createTestApp } from "./support/app.js";
import { pathDeeperThan } from "../src/limits.js";

/** Runs per property: a few seconds in all (KUMA_GUARD_FUZZ_RUNS for a longer hunt); shrinking names a failing input. */
const NUM_RUNS = Number(process.env.KUMA_GUARD_FUZZ_RUNS ?? 300);
/** A small body limit, so generated bodies also cross it (413) now and then. */
const MAX_BODY = 256 * 1024;

// ---- values ----------------------------------------------------------------------------

/** JSON text for numbers JSON.stringify cannot produce: overflow to Infinity, -0, long digit runs. */
const HUGE_NUMBER_TEXT = ["1e400", "-1e400", "-0", "123456789012345678901234567890", "0.0000000000000000000000001", "9007199254740993"];
const hugeNumber = fc.oneof(
  fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, 4294967296, 65536, -1),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** A value nested `depth` levels deep in arrays and objects: within the depth limit rules see it, beyond it the body is refused. */
const deep = fc.tuple(fc.integer({ min: 20, max: 3000 }), fc.boolean()).map(([depth, arrays]) => {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value };
  return value;
});

const junk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: hugeNumber },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
);

/** A field that is usually shaped as Kubernetes expects, sometimes anything at all. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 3, arbitrary }, { weight: 1, arbitrary: junk });

const KUMA_KEYS = [
  "kuma.io/container-patches",
  "kuma.io/direct-access-services",
  "kuma.io/sidecar-injection",
  "kuma.io/gateway",
  "kuma.io/envoy-admin-port",
  "kuma.io/sidecar-env-vars",
  "kuma.io/sidecar-drain-time",
  "kuma.io/transparent-proxying-ip-family-mode",
  "kuma.io/workload",
  "kuma.io/virtual-probes-port",
  "kuma.io/sidecar-injected",
  "kuma.io/sidecar-uid",
  "traffic.kuma.io/exclude-inbound-ports",
  "traffic.kuma.io/exclude-outbound-ports",
  "traffic.kuma.io/exclude-outbound-ports-for-uids",
  "traffic.kuma.io/exclude-outbound-tcp-ports-for-uids",
  "traffic.kuma.io/exclude-outbound-ips",
  "traffic.kuma.io/iptables-logs",
  "kuma.io/sidecar-injecton",
];
/** Annotation values near Kuma's grammars: lists, ranges, separators, padding, huge ports. */
const kumaValue = fc.oneof(
  fc.constantFrom(
    "enabled",
    "true",
    "yes",
    "disabled",
    "",
    " ",
    ",",
    ";",
    "*",
    "tcp:443:1000;",
    "udp:*:0-65535",
    "1-2-3",
    "443:70000",
    "p1, p2",
    "0",
    "99999999999999999999",
    "10.0.0.0/33",
    "::1",
    "1s",
    "-1s",
    "K=V;K2",
  ),
  fc.stringMatching(/^[a-z0-9:;,*\- .\/=]{0,40}$/),
  fc.string({ maxLength: 40 }),
);
const labelsOrAnnotations = sometimes(
  fc.dictionary(fc.oneof(fc.constantFrom(...KUMA_KEYS), fc.string({ maxLength: 20 })), sometimes(kumaValue), { maxKeys: 6 }),
);
const metadata = sometimes(
  fc.record(
    {
      name: sometimes(fc.string({ maxLength: 30 })),
      namespace: sometimes(fc.constantFrom("default", "kuma-system", "kube-system", "")),
      labels: labelsOrAnnotations,
      annotations: labelsOrAnnotations,
      ownerReferences: sometimes(
        fc.array(fc.record({ controller: sometimes(fc.boolean()), kind: sometimes(fc.string()) }), { maxLength: 2 }),
      ),
    },
    { requiredKeys: [] },
  ),
);

const securityContext = sometimes(
  fc.record(
    {
      runAsUser: sometimes(fc.oneof(fc.constant(5678), fc.integer(), hugeNumber)),
      privileged: sometimes(fc.boolean()),
      capabilities: junk,
    },
    { requiredKeys: [] },
  ),
);
const container = sometimes(
  fc.record(
    {
      name: sometimes(fc.string({ maxLength: 20 })),
      image: sometimes(fc.string({ maxLength: 20 })),
      securityContext,
      resources: junk,
      ports: junk,
      env: junk,
    },
    { requiredKeys: [] },
  ),
);
const podSpec = sometimes(
  fc.record(
    {
      containers: sometimes(fc.array(container, { maxLength: 3 })),
      initContainers: sometimes(fc.array(container, { maxLength: 2 })),
      securityContext,
    },
    { requiredKeys: [] },
  ),
);
const template = sometimes(fc.record({ metadata, spec: podSpec }, { requiredKeys: [] }));

const patchBlock = sometimes(
  fc.record(
    {
      op: sometimes(fc.constantFrom("add", "remove", "replace", "move", "copy", "test", "ADD", "")),
      path: sometimes(
        fc.oneof(
          fc.constantFrom(
            "/securityContext/privileged",
            "/resources/limits",
            "/resources/requests/cpu",
            "/env/-",
            "/args/0",
            "/args/-1",
            "/",
            "",
            "~1",
            "/a~2b",
            "/ports/99999999999",
          ),
          fc.string({ maxLength: 30 }),
        ),
      ),
      value: sometimes(
        fc.oneof(
          fc.constantFrom(
            '"100m"',
            "100m",
            "true",
            '"true"',
            '{"type":"RuntimeDefault"}',
            "{}",
            "[]",
            "null",
            "1e400",
            '{"privileged":true}',
          ),
          fc.string({ maxLength: 30 }),
          junk.map((v) => JSON.stringify(v) ?? ""),
        ),
      ),
      from: sometimes(fc.constantFrom("/securityContext", "/args/0", "", "nope")),
    },
    { requiredKeys: [] },
  ),
);

/** An object for each routed kind: Kubernetes' shape where it counts, junk anywhere. */
const OBJECTS = {
  ContainerPatch: {
    group: "kuma.io",
    version: "v1alpha1",
    object: fc.record(
      {
        apiVersion: fc.constant("kuma.io/v1alpha1"),
        kind: fc.constant("ContainerPatch"),
        metadata,
        spec: sometimes(
          fc.record(
            {
              sidecarPatch: sometimes(fc.array(patchBlock, { maxLength: 4 })),
              initPatch: sometimes(fc.array(patchBlock, { maxLength: 3 })),
            },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: [] },
    ),
  },
  Pod: {
    group: "",
    version: "v1",
    object: fc.record({ apiVersion: fc.constant("v1"), kind: fc.constant("Pod"), metadata, spec: podSpec }, { requiredKeys: [] }),
  },
  Deployment: {
    group: "apps",
    version: "v1",
    object: fc.record(
      { kind: fc.constant("Deployment"), metadata, spec: sometimes(fc.record({ template }, { requiredKeys: [] })) },
      { requiredKeys: [] },
    ),
  },
  CronJob: {
    group: "batch",
    version: "v1",
    object: fc.record(
      {
        kind: fc.constant("CronJob"),
        metadata,
        spec: sometimes(
          fc.record(
            { jobTemplate: sometimes(fc.record({ spec: sometimes(fc.record({ template }, { requiredKeys: [] })) }, { requiredKeys: [] })) },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: [] },
    ),
  },
  Namespace: { group: "", version: "v1", object: fc.record({ kind: fc.constant("Namespace"), metadata }, { requiredKeys: [] }) },
};

const API_VERSIONS = ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"] as const;

/** A review the decoder must accept: valid envelope, uid and operation; object and oldObject anything of the kind. */
const wellFormedReview = fc.constantFrom(...(Object.keys(OBJECTS) as (keyof typeof OBJECTS)[])).chain((kind) => {
  const { group, version, object } = OBJECTS[kind];
  return fc.record({
    apiVersion: fc.constantFrom(...API_VERSIONS),
    kind: fc.constant("AdmissionReview"),
    request: fc.record(
      {
        uid: fc.string({ minLength: 1, maxLength: 40 }),
        kind: fc.constant({ group, version, kind }),
        resource: sometimes(fc.constant({ group, version, resource: `${kind.toLowerCase()}s` })),
        namespace: sometimes(fc.constantFrom("default", "kuma-system", "kube-system", "")),
        name: sometimes(fc.string({ maxLength: 20 })),
        operation: fc.constantFrom("CREATE", "UPDATE", "DELETE", "CONNECT"),
        userInfo: junk,
        object: fc.oneof({ weight: 4, arbitrary: object }, { weight: 1, arbitrary: junk }),
        oldObject: fc.oneof(object, junk),
        dryRun: sometimes(fc.boolean()),
        options: junk,
      },
      { requiredKeys: ["uid", "kind", "operation"] },
    ),
  });
});

/** Review-shaped, any field possibly wrong: the decoder says 400 or the review is answered. */
const reviewShaped = fc.record(
  {
    apiVersion: sometimes(fc.constantFrom(...API_VERSIONS, "admission.k8s.io/v2", "v1")),
    kind: sometimes(fc.constantFrom("AdmissionReview", "AdmissionRequest")),
    request: sometimes(
      fc.record(
        {
          uid: junk,
          kind: sometimes(
            fc.record(
              { group: junk, version: junk, kind: sometimes(fc.constantFrom(...Object.keys(OBJECTS), "ConfigMap")) },
              { requiredKeys: [] },
            ),
          ),
          operation: sometimes(fc.constantFrom("CREATE", "UPDATE", "DELETE", "CONNECT", "create")),
          namespace: junk,
          object: fc.oneof(...Object.values(OBJECTS).map((o) => o.object), junk),
          oldObject: junk,
          dryRun: junk,
        },
        { requiredKeys: [] },
      ),
    ),
    response: junk,
  },
  { requiredKeys: [] },
);

/** Body text: random strings, JSON values, numbers JSON.stringify cannot write, deep nesting, reviews, oversized. */
const bodyText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  junk.map((v) => JSON.stringify(v) ?? "undefined"),
  fc.constantFrom(...HUGE_NUMBER_TEXT),
  fc.integer({ min: 1, max: 100_000 }).map((n) => "[".repeat(n) + "]".repeat(n)),
  fc.integer({ min: 1, max: 100_000 }).map((n) => '{"a":'.repeat(n)),
  reviewShaped.map((v) => JSON.stringify(v)),
  wellFormedReview.map((v) => JSON.stringify(v)),
  fc.integer({ min: MAX_BODY - 10, max: MAX_BODY * 2 }).map((n) => JSON.stringify({ pad: "x".repeat(n) })),
  fc.constantFrom(
    '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":',
    "\uFEFF{}",
    "{}\u0000",
    '{"__proto__":{"allowed":false}}',
    '{"constructor":{"prototype":{}}}',
  ),
);

const CONTENT_TYPES = [
  undefined,
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=utf-16",
  "text/plain",
  "application/octet-stream",
  "multipart/form-data; boundary=x",
  "application/x-www-form-urlencoded",
  "*/*",
  "garbage",
];
const CONTENT_ENCODINGS = [undefined, "identity", "gzip", "deflate", "br", "x-unknown", "gzip, gzip"];

/** The answer must be 2xx/4xx, and its body JSON (except /metrics, Prometheus text, and HEAD, no body). */
function assertAnswered(res: request.Response, method: string, path: string): void {
  assert.ok(
    (res.status >= 200 && res.status < 300) || (res.status >= 400 && res.status < 500),
    `${method} ${path}: status ${res.status} ${res.text}`,
  );
  const pathname = path.split(/[?#]/)[0];
  if (method === "HEAD" || (pathname === "/metrics" && res.status === 200)) return;
  assert.doesNotThrow(() => JSON.parse(res.text), `${method} ${path}: body is not JSON: ${res.text?.slice(0, 200)}`);
}

const { app, logs } = createTestApp({ maxBody: MAX_BODY });

test("any body POSTed to /validate, with any content type and encoding, is answered 2xx/4xx with JSON", async () => {
  await fc.assert(
    fc.asyncProperty(
      bodyText,
      fc.constantFrom(...CONTENT_TYPES),
      fc.constantFrom(...CONTENT_ENCODINGS),
      async (body, contentType, contentEncoding) => {
        let req = request(app).post("/validate");
        if (contentType !== undefined) req = req.set("content-type", contentType);
        if (contentEncoding !== undefined) req = req.set("content-encoding", contentEncoding);
        const res = await req.send(body);
        assertAnswered(res, "POST", "/validate");
      },
    ),
    { numRuns: NUM_RUNS },
  );
});

test("a well-formed AdmissionReview of any routed kind, whatever its object, is answered with its uid and apiVersion", async () => {
  let denied = 0;
  await fc.assert(
    fc.asyncProperty(wellFormedReview, async (review) => {
      const res = await request(app).post("/validate").set("content-type", "application/json").send(JSON.stringify(review));
      if (pathDeeperThan(review) !== undefined) {
        // Refused before it is parsed: no Kubernetes object nests this deep.
        assert.equal(res.status, 400, res.text);
        assert.match(res.text, /nests deeper than 64 levels/);
        return;
      }
      assert.equal(res.status, 200, res.text);
      const answer = JSON.parse(res.text) as { apiVersion: string; kind: string; response: { uid: string; allowed: boolean } };
      assert.equal(answer.apiVersion, review.apiVersion);
      assert.equal(answer.kind, "AdmissionReview");
      assert.equal(answer.response.uid, review.request.uid);
      assert.equal(typeof answer.response.allowed, "boolean");
      if (review.request.operation === "DELETE") assert.equal(answer.response.allowed, true, "a DELETE is never denied");
      if (!answer.response.allowed) denied++;
    }),
    { numRuns: NUM_RUNS },
  );
  assert.ok(denied > 0, "the generated objects reach the rules (some are denied)");
});

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"] as const;
const path = fc.oneof(
  fc.constantFrom(
    "/validate",
    "/healthz",
    "/readyz",
    "/metrics",
    "/",
    "/validate/",
    "/VALIDATE",
    "//validate",
    "/validate?x=1",
    "/validate#x",
    "/%",
    "/%zz",
    "/validate%",
    "/%E0%A4%A",
    "/..%2f..%2fetc/passwd",
    "/healthz/../validate",
    "/*",
  ),
  fc.string({ maxLength: 30 }).map((s) => `/${encodeURI(s)}`),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }).map((parts) => `/${parts.map(encodeURIComponent).join("/")}`),
);

test("any method on any path is answered 2xx/4xx with JSON, never 5xx", async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...METHODS), path, fc.option(bodyText, { nil: undefined }), async (method, target, body) => {
      const lower = method.toLowerCase() as "get" | "post" | "put" | "delete" | "patch" | "head" | "options";
      let req = request(app)[lower](target);
      if (body !== undefined && method !== "GET" && method !== "HEAD") req = req.set("content-type", "application/json").send(body);
      const res = await req;
      assertAnswered(res, method, target);
    }),
    { numRuns: NUM_RUNS },
  );
});

test.after(() => {
  // Not a failure of the HTTP contract (a rule exception is answered 200 with an internal-error
  // warning), but worth seeing: which rules threw on generated input.
  const failed = logs.filter((l) => l.msg === "rule failed");
  if (failed.length > 0) console.log(`# rules that threw on fuzzed input: ${[...new Set(failed.map((l) => String(l.rule)))].join(", ")}`);
});
