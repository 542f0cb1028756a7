import { test } from "node:test";
import assert from "node:assert/strict";
import { review } from "../src/admission/review.js";
import { MAX_FINDINGS_PER_RULE } from "../src/rules/types.js";
import type { AdmissionRequest } from "../src/admission/types.js";
import { error } from "../src/rules/types.js";
import type { Rule, Subject } from "../src/rules/types.js";
import { catalogOf } from "./support/context.js";
import { fakeAnnotationRule, fakeThrowingRule, policyWith } from "./support/policy.js";
import { createSnapshot } from "../src/snapshot.js";

// The engine's mechanics with fake rules: which findings deny, warn or audit, and when.

const labelRule: Rule<Subject> = {
  id: "sidecar-injection",
  summary: "test rule standing in for the label rule",
  defaultAction: "deny",
  targets: ["workload", "namespace"],
  codes: { off: { when: "the label is off" } },
  check: (subject) =>
    subject.target === "workload" && subject.template.labels["kuma.io/sidecar-injection"] === "off" ? [error("off", "off")] : [],
};

function pod(annotations: Record<string, string>, extra: { labels?: Record<string, string>; ownerReferences?: unknown[] } = {}) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "web-1",
      namespace: "shop",
      annotations,
      labels: extra.labels ?? {},
      ...(extra.ownerReferences ? { ownerReferences: extra.ownerReferences } : {}),
    },
    spec: { containers: [{ name: "web", image: "nginx:1.27" }] },
  };
}

function requestFor(object: unknown, operation: AdmissionRequest["operation"] = "CREATE", oldObject: unknown = null): AdmissionRequest {
  return {
    uid: "u",
    kind: { group: "", version: "v1", kind: "Pod" },
    namespace: "shop",
    name: "web-1",
    operation,
    object: operation === "DELETE" ? null : object,
    oldObject: operation === "DELETE" ? object : oldObject,
    dryRun: false,
  };
}

const env = (policy = policyWith([fakeAnnotationRule, labelRule])) => ({ snapshot: createSnapshot(policy, catalogOf([])) });
const ids = (findings: { ruleId: string; message: string }[]) => findings.map((f) => f.message);

const cases: {
  name: string;
  request: AdmissionRequest;
  policy?: ReturnType<typeof policyWith>;
  allowed: boolean;
  denials?: string[];
  warnings?: string[];
  audits?: string[];
}[] = [
  { name: "clean pod", request: requestFor(pod({ a: "ok" })), allowed: true },
  { name: "error finding with default action denies", request: requestFor(pod({ a: "bad" })), allowed: false, denials: ["a is bad"] },
  { name: "advisory finding warns by default", request: requestFor(pod({ a: "meh" })), allowed: true, warnings: ["a is meh"] },
  {
    name: "explicit deny applies to advisories too",
    request: requestFor(pod({ a: "meh" })),
    policy: policyWith([fakeAnnotationRule], { actions: { "fake-annotation": "deny" } }),
    allowed: false,
    denials: ["a is meh"],
  },
  {
    name: "explicit warn downgrades errors",
    request: requestFor(pod({ a: "bad" })),
    policy: policyWith([fakeAnnotationRule], { actions: { "fake-annotation": "warn" } }),
    allowed: true,
    warnings: ["a is bad"],
  },
  {
    name: "audit allows silently but records",
    request: requestFor(pod({ a: "bad", b: "meh" })),
    policy: policyWith([fakeAnnotationRule], { actions: { "fake-annotation": "audit" } }),
    allowed: true,
    audits: ["a is bad", "b is meh"],
  },
  {
    name: "off is not evaluated",
    request: requestFor(pod({ a: "bad" })),
    policy: policyWith([fakeAnnotationRule, fakeThrowingRule], { actions: { "fake-annotation": "off", "fake-throws": "off" } }),
    allowed: true,
  },
  {
    name: "an exempt rule is not evaluated",
    request: requestFor(pod({ a: "bad" })),
    policy: policyWith([fakeAnnotationRule], { exempt: (id, subject) => id === "fake-annotation" && subject.meta.namespace === "shop" }),
    allowed: true,
  },
  {
    name: "DELETE is never denied but still reports",
    request: requestFor(pod({ a: "bad" }), "DELETE"),
    allowed: true,
    warnings: ["a is bad"],
  },
  {
    name: "UPDATE keeps a finding the old object had as a warning",
    request: requestFor(pod({ a: "bad", scale: "2" }), "UPDATE", pod({ a: "bad", scale: "1" })),
    allowed: true,
    warnings: ["a is bad"],
  },
  {
    name: "UPDATE denies a finding the old object did not have",
    request: requestFor(pod({ a: "bad", b: "bad" }), "UPDATE", pod({ a: "bad" })),
    allowed: false,
    denials: ["b is bad"],
    warnings: ["a is bad"],
  },
  {
    name: "a pod owned by a controller only warns",
    request: requestFor(
      pod({ a: "bad" }, { ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-7d4", uid: "x", controller: true }] }),
    ),
    allowed: true,
    warnings: ["a is bad"],
  },
  {
    name: "a pod labelled not to be injected runs only the label rule",
    request: requestFor(pod({ a: "bad" }, { labels: { "kuma.io/sidecar-injection": "disabled" } })),
    allowed: true,
  },
  {
    name: "a rule that throws is allowed with onError allow",
    request: requestFor(pod({ a: "ok" })),
    policy: policyWith([fakeThrowingRule]),
    allowed: true,
  },
  {
    name: "a rule that throws is denied with onError deny",
    request: requestFor(pod({ a: "ok" })),
    policy: policyWith([fakeThrowingRule], { onError: "deny" }),
    allowed: false,
  },
];

for (const c of cases) {
  test(c.name, () => {
    const verdict = review(c.request, env(c.policy));
    assert.equal(verdict.allowed, c.allowed);
    assert.deepEqual(ids(verdict.denials), c.denials ?? []);
    assert.deepEqual(ids(verdict.warnings), c.warnings ?? []);
    assert.deepEqual(ids(verdict.audits), c.audits ?? []);
  });
}

test("a failing rule is reported with its id and error, and other rules still run", () => {
  const verdict = review(requestFor(pod({ a: "bad" })), env(policyWith([fakeThrowingRule, fakeAnnotationRule])));
  assert.deepEqual(
    verdict.failures.map((f) => [f.ruleId, (f.error as Error).message]),
    [["fake-throws", "boom"]],
  );
  assert.deepEqual(ids(verdict.denials), ["a is bad"]);
});

test("a kind that is not routed, or a routed name in another API group, is not checked", () => {
  for (const kind of [
    { group: "", version: "v1", kind: "ConfigMap" },
    { group: "example.com", version: "v1", kind: "Deployment" },
  ]) {
    const verdict = review({ ...requestFor(pod({ a: "bad" })), kind }, env());
    assert.equal(verdict.kind, undefined);
    assert.equal(verdict.allowed, true);
  }
});

test("a rule's findings on one object are capped, the rest counted in one more finding", () => {
  const annotations = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`k${i}`, i === 24 ? "bad" : "meh"]));
  const verdict = review(requestFor(pod(annotations)), env());
  const messages = [...verdict.denials, ...verdict.warnings].map((f) => f.message);
  assert.equal(messages.length, MAX_FINDINGS_PER_RULE + 1);
  assert.equal(verdict.allowed, false, "the error among the counted findings still denies");
  assert.deepEqual(
    verdict.denials.map((f) => f.message),
    ["and 15 more like these: fix the ones above, then check again"],
  );
});
