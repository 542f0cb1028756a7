// Pathological annotation values (issue 17): whatever a value holds, up to the API server's
// 256 KiB, every finding the list rules report stays a message a warning can carry, and the
// rules read each item a bounded number of times.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { catalogOf, checkRule, deploymentWith } from "../support/context.js";
import { MAX_MESSAGE } from "../../src/kuma/message.js";
import { annotationValue } from "../../src/rules/annotation-value.js";
import { directAccess } from "../../src/rules/direct-access.js";
import { excludeIps } from "../../src/rules/exclude-ips.js";
import { excludePortsForUidsLegacy } from "../../src/rules/exclude-ports-for-uids-legacy.js";
import { excludePorts } from "../../src/rules/exclude-ports.js";
import { excludePortsForUids } from "../../src/rules/exclude-ports-for-uids.js";
import { workloadPatchList } from "../../src/rules/workload-patch-list.js";
import { MAX_FINDINGS_PER_RULE } from "../../src/rules/types.js";
import { review } from "../../src/admission/review.js";
import { toSubject } from "../../src/admission/subjects.js";
import type { AdmissionRequest } from "../../src/admission/types.js";
import { createSnapshot } from "../../src/snapshot.js";
import { admissionReview } from "../support/app.js";
import { compiledPolicy } from "../support/policy-docs.js";
import type { Rule, WorkloadSubject } from "../../src/rules/types.js";

const RULES: [string, Rule<WorkloadSubject>][] = [
  ["kuma.io/direct-access-services", directAccess as Rule<WorkloadSubject>],
  ["traffic.kuma.io/exclude-inbound-ports", excludePorts as Rule<WorkloadSubject>],
  ["traffic.kuma.io/exclude-outbound-ports-for-uids", excludePortsForUids as Rule<WorkloadSubject>],
  ["kuma.io/container-patches", workloadPatchList as Rule<WorkloadSubject>],
  ["traffic.kuma.io/exclude-outbound-ips", excludeIps as Rule<WorkloadSubject>],
  ["traffic.kuma.io/exclude-outbound-tcp-ports-for-uids", excludePortsForUidsLegacy as Rule<WorkloadSubject>],
  ["kuma.io/sidecar-env-vars", annotationValue as Rule<WorkloadSubject>],
  ["kuma.io/envoy-component-log-level", annotationValue as Rule<WorkloadSubject>],
  ["kuma.io/sidecar-drain-time", annotationValue as Rule<WorkloadSubject>],
];

/** Items in the shapes these grammars read, with the separators and padding they trip on. */
const item = fc.oneof(
  fc.integer({ min: 0, max: 70_000 }).map(String),
  fc.constantFrom("", " ", "\t", "*", "tcp", "udp", "a-b", "backend_shop_svc_8080", "p1"),
  fc.string({ maxLength: 8 }),
);
const value = fc
  .tuple(fc.array(fc.tuple(item, fc.constantFrom(",", ";", ":", ", ", "-")), { maxLength: 40 }), fc.integer({ min: 1, max: 400 }))
  .map(([parts, times]) =>
    parts
      .map(([text, separator]) => text + separator)
      .join("")
      .repeat(times),
  );

for (const [key, rule] of RULES) {
  test(`property: ${rule.id} keeps every message within MAX_MESSAGE, whatever ${key} holds`, () => {
    fc.assert(
      fc.property(value, (text) => {
        for (const finding of checkRule(rule, deploymentWith({ [key]: text })))
          assert.ok(finding.message.length <= MAX_MESSAGE, `${finding.code}: ${finding.message.length} characters`);
      }),
      { numRuns: 200 },
    );
  });
}

// The rules answer clean values from one scan of the value; this is what item-by-item reading says.
const listValue = fc
  .array(fc.constantFrom("a_ns_svc_80", "b.c:1", "*", "", " x", "x ", "x/y", "\t"), { maxLength: 12 })
  .map((items) => items.join(","));

test("property: direct-access reports what reading each entry says", () => {
  const tag = /^[a-zA-Z0-9.\-_:]+$/;
  fc.assert(
    fc.property(listValue, (text) => {
      const items = text.split(",").filter((item) => item !== "");
      const expected = new Set<string>();
      if (text !== "") {
        if (items.some((item) => item !== item.trim())) expected.add("padded-entry");
        if (items.some((item) => !["", "*"].includes(item.trim()) && !tag.test(item.trim()))) expected.add("invalid-name");
        if (items.length < text.split(",").length) expected.add("empty-items");
        if (items.some((item) => item.trim() === "*")) expected.add("wildcard");
      }
      const found = checkRule(directAccess, deploymentWith({ "kuma.io/direct-access-services": text }));
      assert.deepEqual(new Set(found.map((finding) => finding.code)), expected);
    }),
  );
});

test("property: workload-patch-list reports what reading each name says", () => {
  fc.assert(
    fc.property(listValue, (text) => {
      const items = text.split(",").filter((item) => item !== "");
      const expected = items.some((item) => item !== item.trim())
        ? ["padded-name"]
        : items.length < text.split(",").length
          ? ["empty-items"]
          : [];
      const found = checkRule(workloadPatchList, deploymentWith({ "kuma.io/container-patches": text }));
      assert.deepEqual(
        found.map((finding) => finding.code),
        expected,
      );
    }),
  );
});

test("30,000 entries without a uid or a valid name: messages are built for the findings shown, the rest only counted", () => {
  for (const [rule, key, value] of [
    [excludePortsForUids, "traffic.kuma.io/exclude-outbound-ports-for-uids", "tcp:80:;".repeat(30_000)],
    [directAccess, "kuma.io/direct-access-services", "x/y,".repeat(30_000)],
  ] as const) {
    const findings = checkRule(rule as Rule<WorkloadSubject>, deploymentWith({ [key]: value }));
    assert.ok(findings.length > 30_000, `${rule.id}: every entry still counts (${findings.length})`);
    assert.ok(new Set(findings).size <= MAX_FINDINGS_PER_RULE + 2, `${rule.id}: ${new Set(findings).size} findings built`);
  }
});

test("a review lists the keys of each annotation map once, whatever rules read them", () => {
  // ~5 ms a listing for 256 KiB of annotations: four listings were most of such a review.
  // A Pod is its own template: its labels are checked once too.
  const listed = new Map<string, number>();
  const counted = (name: string, map: Record<string, string>) =>
    new Proxy(map, {
      ownKeys: (target) => {
        listed.set(name, (listed.get(name) ?? 0) + 1);
        return Reflect.ownKeys(target);
      },
    });
  const annotations = (name: string) =>
    counted(name, {
      "kuma.io/mesh": "default",
      "kuma.io/sidecar-injection": "enabled",
      "kuma.io/container-patch": "typo",
      "kuma.io/virtual-probes": "enabled",
      "prometheus.metrics.kuma.io/aggregate-app-port": "8080",
    });
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "shop", labels: counted("pod labels", { app: "web" }), annotations: annotations("pod") },
  };
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "shop", annotations: annotations("deployment") },
    spec: { template: { metadata: { annotations: annotations("template") }, spec: { containers: [{ name: "app", image: "nginx" }] } } },
  };
  const snapshot = createSnapshot(compiledPolicy(), catalogOf([]));
  for (const object of [pod, deployment]) {
    const verdict = review(admissionReview(object).request as AdmissionRequest, { snapshot });
    assert.ok(
      verdict.warnings.some((finding) => finding.ruleId === "annotation-unknown"),
      "the annotation rules ran",
    );
  }
  assert.deepEqual(Object.fromEntries(listed), { "pod labels": 1, pod: 1, deployment: 1, template: 1 });
});

test("an own __proto__ annotation key (which JSON.parse makes and the API server refuses) is dropped from the subject", () => {
  const pod = JSON.parse('{"metadata":{"name":"web","annotations":{"__proto__":"x","kuma.io/mesh":"default"}}}') as unknown;
  const subject = toSubject("Pod", pod, "shop");
  assert.equal(subject?.target, "workload");
  if (subject?.target !== "workload") return;
  assert.deepEqual(subject.template.annotationKeys, ["kuma.io/mesh"]);
  assert.equal(Object.hasOwn(subject.template.annotations, "__proto__"), false);
  assert.equal(subject.template.annotations["kuma.io/mesh"], "default");
});
