import { test } from "node:test";
import assert from "node:assert/strict";
import { review } from "../src/admission/review.js";
import type { AdmissionRequest } from "../src/admission/types.js";
import type { ExemptionSpec } from "../src/policy/compile.js";
import { compileGlob } from "../src/policy/glob.js";
import type { Rule, Subject } from "../src/rules/types.js";
import { error } from "../src/rules/types.js";
import { admissionReview } from "./support/app.js";
import { catalogOf, subjectOf } from "./support/context.js";
import { compiledPolicy, parsedPolicy } from "./support/policy-docs.js";
import { createSnapshot } from "../src/snapshot.js";

const deployment = subjectOf({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web-v2", namespace: "shop", labels: { team: "payments", tier: "web" } },
  spec: { template: { metadata: { labels: { app: "web", owner: "template-only" } }, spec: { containers: [] } } },
});
const patch = subjectOf({
  apiVersion: "kuma.io/v1alpha1",
  kind: "ContainerPatch",
  metadata: { name: "platform-debug-1", namespace: "kuma-system" },
  spec: {},
});
const namespace = subjectOf({ apiVersion: "v1", kind: "Namespace", metadata: { name: "legacy-billing", labels: { legacy: "" } } });
const pod = subjectOf({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "api-0", namespace: "legacy-x", labels: { team: "core" } },
  spec: { containers: [] },
});
const SUBJECTS: Record<string, Subject> = { deployment, patch, namespace, pod };

// Each row: exemption entries, then which subjects they exempt from rule "direct-access".
const cases: { name: string; exemptions: ExemptionSpec[]; exempt: string[] }[] = [
  { name: "namespaces: exact names", exemptions: [{ namespaces: ["shop", "legacy"], rules: ["*"] }], exempt: ["deployment"] },
  {
    name: "namespaces: a Namespace object is matched by its own name",
    exemptions: [{ namespaces: ["legacy-billing"], rules: ["*"] }],
    exempt: ["namespace"],
  },
  { name: "namespacePatterns: *", exemptions: [{ namespacePatterns: ["legacy-*"], rules: ["*"] }], exempt: ["namespace", "pod"] },
  { name: "namespacePatterns: ? is one character", exemptions: [{ namespacePatterns: ["legacy-?"], rules: ["*"] }], exempt: ["pod"] },
  {
    name: "namespacePatterns: other characters are literal",
    exemptions: [{ namespacePatterns: ["sho.", "kuma-sys+em"], rules: ["direct-access"] }],
    exempt: [],
  },
  { name: "names: globs over metadata.name", exemptions: [{ names: ["web-*", "api-?"], rules: ["*"] }], exempt: ["deployment", "pod"] },
  { name: "kinds", exemptions: [{ kinds: ["Namespace", "Pod"], rules: ["*"] }], exempt: ["namespace", "pod"] },
  {
    name: "objectSelector: matchLabels on the object's own labels",
    exemptions: [{ objectSelector: { matchLabels: { team: "payments" } }, rules: ["*"] }],
    exempt: ["deployment"],
  },
  {
    name: "objectSelector: a pod template's labels are not the object's",
    exemptions: [{ objectSelector: { matchLabels: { owner: "template-only" } }, rules: ["*"] }],
    exempt: [],
  },
  {
    name: "objectSelector: In",
    exemptions: [{ objectSelector: { matchExpressions: [{ key: "team", operator: "In", values: ["core", "payments"] }] }, rules: ["*"] }],
    exempt: ["deployment", "pod"],
  },
  {
    name: "objectSelector: NotIn also matches objects without the key",
    exemptions: [{ objectSelector: { matchExpressions: [{ key: "team", operator: "NotIn", values: ["payments"] }] }, rules: ["*"] }],
    exempt: ["patch", "namespace", "pod"],
  },
  {
    name: "objectSelector: Exists (an empty value counts)",
    exemptions: [{ objectSelector: { matchExpressions: [{ key: "legacy", operator: "Exists" }] }, rules: ["*"] }],
    exempt: ["namespace"],
  },
  {
    name: "objectSelector: DoesNotExist",
    exemptions: [{ objectSelector: { matchExpressions: [{ key: "team", operator: "DoesNotExist" }] }, rules: ["*"] }],
    exempt: ["patch", "namespace"],
  },
  {
    name: "objectSelector: matchLabels and matchExpressions are AND-ed",
    exemptions: [
      {
        objectSelector: { matchLabels: { tier: "web" }, matchExpressions: [{ key: "team", operator: "In", values: ["core"] }] },
        rules: ["*"],
      },
    ],
    exempt: [],
  },
  {
    name: "objectSelector: empty selects everything",
    exemptions: [{ objectSelector: {}, rules: ["direct-access"] }],
    exempt: ["deployment", "patch", "namespace", "pod"],
  },
  { name: "fields are AND-ed", exemptions: [{ namespacePatterns: ["legacy-*"], kinds: ["Pod"], rules: ["*"] }], exempt: ["pod"] },
  { name: "fields are AND-ed (no object has both)", exemptions: [{ namespaces: ["shop"], kinds: ["Pod"], rules: ["*"] }], exempt: [] },
  {
    name: "entries are OR-ed",
    exemptions: [
      { namespaces: ["shop"], rules: ["*"] },
      { kinds: ["Namespace"], rules: ["*"] },
    ],
    exempt: ["deployment", "namespace"],
  },
  { name: "rules: only the listed ids", exemptions: [{ namespaces: ["shop"], rules: ["exclude-ips"] }], exempt: [] },
  { name: "rules: the listed id", exemptions: [{ namespaces: ["shop"], rules: ["exclude-ips", "direct-access"] }], exempt: ["deployment"] },
];

for (const c of cases) {
  test(`exemption: ${c.name}`, () => {
    const policy = compiledPolicy({ exemptions: c.exemptions });
    const exempt = Object.entries(SUBJECTS)
      .filter(([, subject]) => policy.isExempt("direct-access", subject))
      .map(([name]) => name);
    assert.deepEqual(exempt, c.exempt);
  });
}

test("glob compilation escapes RegExp syntax", () => {
  const table = [
    ["a.b", "a.b", true],
    ["a.b", "axb", false],
    ["a*", "a", true],
    ["*-prod", "shop-prod", true],
    ["(x)|y", "(x)|y", true],
    ["(x)|y", "y", false],
    ["?", "", false],
  ] as const;
  for (const [glob, value, matches] of table) assert.equal(compileGlob(glob).test(value), matches, `${glob} ~ ${value}`);
});

test("an exemption for a custom rule by id", async () => {
  const policy = await parsedPolicy({
    customRules: [{ id: "needs-team", target: "workload", action: "deny", message: "m", schema: {} }],
    exemptions: [{ kinds: ["Pod"], rules: ["needs-team"] }],
  });
  assert.equal(policy.isExempt("needs-team", pod), true);
  assert.equal(policy.isExempt("needs-team", deployment), false);
  assert.equal(policy.isExempt("direct-access", pod), false);
});

test("the default policy exempts kube-system and kuma-guard, never kuma-system", async () => {
  const policy = await parsedPolicy({ exemptions: [{ namespaces: ["kube-system", "kuma-guard"], rules: ["*"] }] });
  for (const [ns, exempt] of [
    ["kube-system", true],
    ["kuma-guard", true],
    ["kuma-system", false],
    ["default", false],
  ] as const) {
    const subject = subjectOf({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: ns }, spec: {} });
    assert.equal(policy.isExempt("sidecar-uid", subject), exempt, ns);
  }
});

test("an exempt rule is not evaluated by review", () => {
  let calls = 0;
  const counting = {
    id: "counting",
    summary: "s",
    defaultAction: "deny",
    targets: ["workload"],
    codes: { x: { when: "always" } },
    check: () => (calls++, [error("x", "x")]),
  } as Rule<Subject>;
  const policy = compiledPolicy({ exemptions: [{ namespaces: ["shop"], rules: ["counting"] }] }, [counting]);
  const request = (ns: string) =>
    admissionReview({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: ns } }).request as unknown as AdmissionRequest;
  assert.equal(review(request("shop"), { snapshot: createSnapshot(policy, catalogOf([])) }).allowed, true);
  assert.equal(calls, 0);
  assert.equal(review(request("other"), { snapshot: createSnapshot(policy, catalogOf([])) }).allowed, false);
  assert.equal(calls, 1);
});
