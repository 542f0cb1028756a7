// Table tests for patch-in-use, and the engine letting it (alone) deny a DELETE.
// Kuma: pkg/plugins/runtime/k8s/webhooks/injector/injector.go (loadContainerPatches fails a pod
// whose named patch is missing; applyCustomPatches fails it on a block that does not apply).
import { test } from "node:test";
import assert from "node:assert/strict";
import { review } from "../../src/admission/review.js";
import type { AdmissionRequest } from "../../src/admission/types.js";
import { patchInUse as rule } from "../../src/rules/patch-in-use.js";
import type { PatchReferences, PatchUsers, StoredContainerPatch } from "../../src/rules/types.js";
import { catalogOf, checkRule, subjectOf } from "../support/context.js";
import { createSnapshot } from "../../src/snapshot.js";
import type { ContainerPatchSubject } from "../../src/rules/types.js";
import { policyWith } from "../support/policy.js";
import { fakeAnnotationRule } from "../support/policy.js";
import { error } from "../../src/rules/types.js";

const LIMITS = { sidecarPatch: [{ op: "add", path: "/resources/limits", value: '{"cpu":"500m"}' }] };
/** Kuma renders no securityContext.privileged: replace fails ("replace operation does not apply: doc is missing key"). */
const BREAKING = { sidecarPatch: [{ op: "replace", path: "/securityContext/privileged", value: "true" }] };
const MEMORY = { sidecarPatch: [{ op: "add", path: "/resources/limits", value: '{"memory":"256Mi"}' }] };

const patchObject = (spec: unknown, namespace = "kuma-system", name = "sidecar-limits") => ({
  apiVersion: "kuma.io/v1alpha1",
  kind: "ContainerPatch",
  metadata: { name, namespace },
  spec,
});
const stored = (spec: StoredContainerPatch["spec"], name = "sidecar-limits"): StoredContainerPatch => ({
  name,
  namespace: "kuma-system",
  spec,
});

function usersOf(count: number, names: readonly string[] = ["sidecar-limits"]): PatchUsers {
  const all = Array.from({ length: count }, (_, i) => `Deployment shop/web-${i + 1}`);
  return { total: count, first: all.slice(0, 5), chains: count === 0 ? [] : [{ names, count, example: all[0]! }] };
}

function references(operation: PatchReferences["operation"], users: PatchUsers, synced = true): PatchReferences {
  return { operation, synced: () => synced, users: () => users };
}

const catalog = catalogOf([stored(LIMITS)]);

const cases: {
  name: string;
  spec?: unknown;
  namespace?: string;
  refs?: PatchReferences;
  defaults?: string[];
  expect: (string | RegExp)[];
}[] = [
  { name: "inactive without the references index (no --kube)", expect: [] },
  { name: "CREATE breaks nobody", refs: references("CREATE", usersOf(3)), expect: [] },
  { name: "DELETE of a patch nobody references", refs: references("DELETE", usersOf(0)), expect: [] },
  {
    name: "DELETE of a referenced patch names the first workloads, the count and how to list them all",
    refs: references("DELETE", usersOf(5)),
    expect: [
      /^error: ContainerPatch kuma-system\/sidecar-limits is still referenced by 5 workloads \(Deployment shop\/web-1, Deployment shop\/web-2, Deployment shop\/web-3 and 2 more\): .*kubectl delete -f dir\/.*List them all: kubectl get deploy,sts,ds,rs,job,cronjob,pod -A -o json \| jq /,
    ],
  },
  {
    name: "index not synced: a warning that it could not check, never a deny",
    refs: references("DELETE", usersOf(5), false),
    expect: [/^advisory: could not check whether workloads still reference ContainerPatch "sidecar-limits"/],
  },
  {
    name: "DELETE outside the control-plane namespaces: Kuma never read it",
    namespace: "shop",
    refs: references("DELETE", usersOf(5)),
    expect: [],
  },
  {
    name: "DELETE of a control-plane default patch, with or without annotations naming it",
    defaults: ["sidecar-limits"],
    refs: references("DELETE", usersOf(0)),
    expect: [/^error: ContainerPatch "sidecar-limits" is one of the control plane's default patches/],
  },
  { name: "UPDATE that still applies for every user", spec: MEMORY, refs: references("UPDATE", usersOf(4)), expect: [] },
  {
    name: "UPDATE that stops applying on the containers Kuma renders",
    spec: BREAKING,
    refs: references("UPDATE", usersOf(4)),
    expect: [
      /^error: this change makes ContainerPatch kuma-system\/sidecar-limits fail for 4 workloads that reference it \(Deployment shop\/web-1, …\): sidecar-limits sidecarPatch\[0\] \(\/securityContext\/privileged\) /,
    ],
  },
  { name: "UPDATE of an unreferenced patch", spec: BREAKING, refs: references("UPDATE", usersOf(0)), expect: [] },
];

for (const c of cases) {
  test(c.name, () => {
    const subject = subjectOf(patchObject(c.spec ?? LIMITS, c.namespace));
    const inputs = {
      catalog,
      settings: { controlPlaneNamespaces: ["kuma-system"], defaultContainerPatches: c.defaults ?? [] },
      ...(c.refs ? { references: c.refs } : {}),
    };
    const found = checkRule(rule, subject as ContainerPatchSubject, inputs).map((f) => `${f.severity}: ${f.message}`);
    assert.equal(found.length, c.expect.length, found.join("\n"));
    c.expect.forEach((expected, i) =>
      typeof expected === "string" ? assert.equal(found[i], expected) : assert.match(found[i]!, expected),
    );
  });
}

test("an UPDATE is judged in each workload's own chain, after the patches it names before it", () => {
  // The new version replaces /resources/limits/cpu, which exists only after "first" added it.
  const first = stored({ sidecarPatch: [{ op: "add", path: "/resources/limits", value: '{"cpu":"1"}' }] }, "first");
  const inputs = { catalog: catalogOf([first, stored(LIMITS)]) };
  const subject = subjectOf(patchObject({ sidecarPatch: [{ op: "replace", path: "/resources/limits/cpu", value: '"2"' }] }));
  const users: PatchUsers = {
    total: 5,
    first: ["Deployment shop/a", "Deployment shop/b"],
    chains: [
      { names: ["first", "sidecar-limits"], count: 3, example: "Deployment shop/a" },
      { names: ["sidecar-limits"], count: 2, example: "Deployment shop/b" },
    ],
  };
  const found = checkRule(rule, subject as ContainerPatchSubject, { ...inputs, references: references("UPDATE", users) });
  assert.equal(found.length, 1);
  assert.match(found[0]!.message, /fail for 2 workloads that reference it \(Deployment shop\/b, …\)/);
});

function request(operation: AdmissionRequest["operation"], object: unknown): AdmissionRequest {
  const body = operation === "DELETE" ? { object: null, oldObject: object } : { object, oldObject: operation === "UPDATE" ? object : null };
  return {
    uid: "u",
    kind: { group: "kuma.io", version: "v1alpha1", kind: "ContainerPatch" },
    namespace: "kuma-system",
    name: "sidecar-limits",
    operation,
    dryRun: false,
    ...body,
  };
}

test("review lets patch-in-use deny a DELETE while every other rule's findings on a DELETE only warn", () => {
  const policy = policyWith([rule, { ...fakeAnnotationRule, targets: ["containerpatch"], check: () => [error("other", "other")] }]);
  const object = patchObject(LIMITS);
  const verdict = review(request("DELETE", object), {
    snapshot: createSnapshot(policy, catalog),
    references: { synced: () => true, users: () => usersOf(2) },
  });
  assert.equal(verdict.allowed, false);
  assert.deepEqual(
    verdict.denials.map((f) => f.ruleId),
    ["patch-in-use"],
  );
  assert.deepEqual(
    verdict.warnings.map((f) => f.message),
    ["other"],
  );
});

test("the policy sets patch-in-use's action like any rule's", () => {
  const policy = policyWith([rule], { actions: { "patch-in-use": "warn" } });
  const verdict = review(request("DELETE", patchObject(LIMITS)), {
    snapshot: createSnapshot(policy, catalog),
    references: { synced: () => true, users: () => usersOf(2) },
  });
  assert.equal(verdict.allowed, true);
  assert.deepEqual(
    verdict.warnings.map((f) => f.ruleId),
    ["patch-in-use"],
  );
});

test("an index that is not synced never denies, even with the policy's action deny (which denies other rules' advisories)", () => {
  const policy = policyWith([rule], { actions: { "patch-in-use": "deny" } });
  const verdict = review(request("DELETE", patchObject(LIMITS)), {
    snapshot: createSnapshot(policy, catalog),
    references: { synced: () => false, users: () => usersOf(2) },
  });
  assert.equal(verdict.allowed, true);
  assert.match(verdict.warnings[0]?.message ?? "", /^could not check/);
});

test("an UPDATE simulates a bounded number of blocks across the lists that name the patch, the most used lists first", () => {
  // 1,000 blocks: one list alone applies them all; the second fits the 2,000-block bound, the third does not.
  const big = { sidecarPatch: Array.from({ length: 1000 }, () => ({ op: "add", path: "/env/-", value: '{"name":"A","value":"b"}' })) };
  const users: PatchUsers = {
    total: 6,
    first: ["Deployment shop/a", "Deployment shop/b", "Deployment shop/c"],
    chains: [
      { names: ["other", "sidecar-limits"], count: 1, example: "Deployment shop/c" },
      { names: ["sidecar-limits"], count: 3, example: "Deployment shop/a" },
      { names: ["sidecar-limits", "other"], count: 2, example: "Deployment shop/b" },
    ],
  };
  const other = stored({ sidecarPatch: [{ op: "add", path: "/resources/limits", value: '{"cpu":"1"}' }] }, "other");
  const inputs = { catalog: catalogOf([other, stored(LIMITS)]), references: references("UPDATE", users) };
  const found = checkRule(rule, subjectOf(patchObject(big)) as ContainerPatchSubject, inputs);
  assert.deepEqual(
    found.map((f) => f.code),
    ["partly-checked"],
  );
  assert.equal(found[0]!.params?.["workloads"], 1); // the least used list, shop/c's
  assert.match(found[0]!.message, /checked this change against 2 of the 3 lists .*1 workload was not checked/);
});

test("an UPDATE checks at most 50 lists of small patches and counts the workloads of the rest", () => {
  const chains = Array.from({ length: 60 }, (_, i) => ({ names: [`p${i}`, "sidecar-limits"], count: 1, example: `Deployment shop/w${i}` }));
  const users: PatchUsers = { total: 60, first: [], chains };
  const found = checkRule(rule, subjectOf(patchObject(MEMORY)) as ContainerPatchSubject, {
    catalog,
    references: references("UPDATE", users),
  });
  assert.deepEqual(
    found.map((f) => [f.code, f.params?.["workloads"]]),
    [["partly-checked", 10]],
  );
});
