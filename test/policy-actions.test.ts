import { test } from "node:test";
import assert from "node:assert/strict";
import { review } from "../src/admission/review.js";
import type { AdmissionRequest } from "../src/admission/types.js";
import type { Action, Rule, Subject, WorkloadSubject } from "../src/rules/types.js";
import { advisory, error } from "../src/rules/types.js";
import { admissionReview } from "./support/app.js";
import { catalogOf } from "./support/context.js";
import { compiledPolicy, parsedPolicy } from "./support/policy-docs.js";
import { createSnapshot } from "../src/snapshot.js";

// The mechanics of actions, with fake rules so the table does not depend on any real rule's
// findings: "mixed" reports one error and one advisory on every workload.

let mixedCalls = 0;
const mixed: Rule<WorkloadSubject> = {
  id: "mixed",
  summary: "reports an error and an advisory",
  defaultAction: "deny",
  targets: ["workload"],
  codes: { broken: { when: "always" }, odd: { when: "always" } },
  check() {
    mixedCalls++;
    return [error("broken", "broken"), advisory("odd", "odd")];
  },
};
const mild: Rule<WorkloadSubject> = {
  id: "mild",
  summary: "an error whose default action is warn",
  defaultAction: "warn",
  targets: ["workload"],
  codes: { questionable: { when: "always" } },
  check: () => [error("questionable", "questionable")],
};
const FAKES = [mixed, mild] as unknown as readonly Rule<Subject>[];

const deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop" },
  spec: {
    selector: { matchLabels: { app: "web" } },
    template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx" }] } },
  },
};
const requestOf = (object: { kind: string; apiVersion?: string }) => admissionReview(object).request as unknown as AdmissionRequest;

const summary = (verdict: ReturnType<typeof review>) => ({
  allowed: verdict.allowed,
  denials: verdict.denials.map((f) => `${f.ruleId}:${f.severity}`),
  warnings: verdict.warnings.map((f) => `${f.ruleId}:${f.severity}`),
  audits: verdict.audits.map((f) => `${f.ruleId}:${f.severity}`),
});

const cases: { name: string; rules: Record<string, { action: Action }>; expected: ReturnType<typeof summary> }[] = [
  {
    name: "no explicit action",
    rules: {},
    expected: { allowed: false, denials: ["mixed:error"], warnings: ["mixed:advisory", "mild:error"], audits: [] },
  },
  {
    name: "deny on a rule with advisories",
    rules: { mixed: { action: "deny" }, mild: { action: "deny" } },
    expected: { allowed: false, denials: ["mixed:error", "mixed:advisory", "mild:error"], warnings: [], audits: [] },
  },
  {
    name: "warn on a rule whose errors deny",
    rules: { mixed: { action: "warn" } },
    expected: { allowed: true, denials: [], warnings: ["mixed:error", "mixed:advisory", "mild:error"], audits: [] },
  },
  {
    name: "audit",
    rules: { mixed: { action: "audit" }, mild: { action: "audit" } },
    expected: { allowed: true, denials: [], warnings: [], audits: ["mixed:error", "mixed:advisory", "mild:error"] },
  },
  {
    name: "off",
    rules: { mixed: { action: "off" } },
    expected: { allowed: true, denials: [], warnings: ["mild:error"], audits: [] },
  },
  {
    name: '"*" sets every rule',
    rules: { "*": { action: "audit" } },
    expected: { allowed: true, denials: [], warnings: [], audits: ["mixed:error", "mixed:advisory", "mild:error"] },
  },
  {
    name: 'a rule\'s own entry wins over "*"',
    rules: { "*": { action: "audit" }, mild: { action: "deny" } },
    expected: { allowed: false, denials: ["mild:error"], warnings: [], audits: ["mixed:error", "mixed:advisory"] },
  },
];

for (const c of cases) {
  test(`action: ${c.name}`, () => {
    const policy = compiledPolicy({ rules: c.rules }, FAKES);
    const before = mixedCalls;
    const verdict = review(requestOf(deployment), { snapshot: createSnapshot(policy, catalogOf([])) });
    assert.deepEqual(summary(verdict), c.expected);
    if (c.rules.mixed?.action === "off") assert.equal(mixedCalls, before, "an off rule is not evaluated");
  });
}

test("actionFor is a precomputed lookup: same answer, no new objects", () => {
  const policy = compiledPolicy({ rules: { mixed: { action: "audit" } } }, FAKES);
  const table = [
    ["mixed", "error", "audit"],
    ["mixed", "advisory", "audit"],
    ["mild", "error", "warn"],
    ["mild", "advisory", "warn"],
    ["unknown-rule", "error", "deny"],
    ["unknown-rule", "advisory", "warn"],
  ] as const;
  for (const [id, severity, action] of table) assert.equal(policy.actionFor(id, severity), action, `${id} ${severity}`);
});

// The same semantics on a real rule: patch-namespace denies a ContainerPatch outside kuma-system.
const patchInDefault = {
  apiVersion: "kuma.io/v1alpha1",
  kind: "ContainerPatch",
  metadata: { name: "p", namespace: "default" },
  spec: { sidecarPatch: [{ op: "add", path: "/securityContext/runAsNonRoot", value: "true" }] },
};

const realCases: { name: string; action?: Action; bucket: "denials" | "warnings" | "audits" | "none" }[] = [
  { name: "default", bucket: "denials" },
  { name: "warn", action: "warn", bucket: "warnings" },
  { name: "audit", action: "audit", bucket: "audits" },
  { name: "off", action: "off", bucket: "none" },
];

for (const c of realCases) {
  test(`patch-namespace, ${c.name}: a ContainerPatch in namespace default`, async () => {
    const policy = await parsedPolicy(c.action ? { rules: { "patch-namespace": { action: c.action } } } : {});
    const verdict = review(requestOf(patchInDefault), { snapshot: createSnapshot(policy, catalogOf([])) });
    const found = (bucket: "denials" | "warnings" | "audits") => verdict[bucket].filter((f) => f.ruleId === "patch-namespace").length;
    for (const bucket of ["denials", "warnings", "audits"] as const) assert.equal(found(bucket), bucket === c.bucket ? 1 : 0, bucket);
  });
}

test("onError: a rule that throws answers per the policy", () => {
  const boom = {
    id: "boom",
    summary: "throws",
    defaultAction: "deny",
    targets: ["workload"],
    codes: {},
    check: () => {
      throw new Error("bug");
    },
  } as Rule<Subject>;
  for (const [onError, allowed] of [
    ["allow", true],
    ["deny", false],
  ] as const) {
    const policy = compiledPolicy({ onError }, [boom]);
    const verdict = review(requestOf(deployment), { snapshot: createSnapshot(policy, catalogOf([])) });
    assert.equal(verdict.allowed, allowed, onError);
    assert.deepEqual(
      verdict.failures.map((f) => f.ruleId),
      ["boom"],
    );
  }
});
