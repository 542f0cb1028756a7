// Every kind and every rule through the HTTP app, as the API server calls it: real Kuma
// objects from test/fixtures, the bundled policy, AdmissionReview v1 and v1beta1.
import { test } from "node:test";
import assert from "node:assert/strict";
import request from "supertest";
import { indexPatches, viewOf } from "../src/catalog/types.js";
import type { CatalogSource } from "../src/catalog/types.js";
import { toStoredPatch } from "../src/manifests.js";
import { BUILT_IN_RULES, BUILT_IN_RULE_IDS } from "../src/rules/index.js";
import { admissionReview, createTestApp } from "./support/app.js";
import { catalogOf, checkRule, loadFixture, subjectOf } from "./support/context.js";
import type { Rule, WorkloadSubject } from "../src/rules/types.js";

type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: unknown;
};
interface Answer {
  allowed: boolean;
  status?: { code: number; reason: string; message: string };
  warnings?: string[];
}

const fixture = (file: string) => loadFixture(file)[0] as KubeObject;

/** Harmless ContainerPatches of those names, in kuma-system. */
const patchesNamed = (names: string[]) =>
  names.map(
    (name) =>
      toStoredPatch(
        {
          apiVersion: "kuma.io/v1alpha1",
          kind: "ContainerPatch",
          metadata: { name, namespace: "kuma-system" },
          spec: { sidecarPatch: [{ op: "add", path: "/resources/limits/cpu", value: '"1"' }] },
        },
        "kuma-system",
      )!,
  );

/** A catalog holding the patches workload-good.yaml references, in kuma-system. */
function catalogWith(names: string[]): CatalogSource {
  const index = indexPatches(patchesNamed(names));
  return {
    view: (ns) => viewOf(index, ns),
    generation: () => 0,
    synced: () => true,
    resolve: async () => {},
    countsByNamespace: () => ({}),
    close: async () => {},
  };
}

async function admit(object: KubeObject, options: Parameters<typeof admissionReview>[1] = {}, catalog?: CatalogSource) {
  const { app } = createTestApp(catalog ? { catalog } : {});
  const apiVersion = options.apiVersion ?? "admission.k8s.io/v1";
  const res = await request(app)
    .post("/validate")
    .send(admissionReview(object, { ...options, apiVersion }));
  assert.equal(res.status, 200);
  assert.equal(res.body.apiVersion, apiVersion);
  assert.equal(res.body.response.uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
  return res.body.response as Answer;
}

/** Rule ids in a denial message ("<id>: text; <id>: text"; texts may hold "; " too) and in warnings. */
const ITEM_START = new RegExp(`(?:^|; )(${BUILT_IN_RULE_IDS.join("|")}): `, "g");
const deniedIds = (answer: Answer) => [...new Set([...(answer.status?.message ?? "").matchAll(ITEM_START)].map((m) => m[1]))].sort();
const warnedIds = (answer: Answer) => [...new Set((answer.warnings ?? []).map((w) => w.split(":")[0]))].sort();

// The pod template of a Deployment fixture, placed where each kind keeps it.
function asKind(kind: string, source: KubeObject): KubeObject {
  const spec = source.spec as { template: { metadata: unknown; spec: unknown } };
  const meta = { name: source.metadata.name, namespace: source.metadata.namespace };
  switch (kind) {
    case "Pod":
      return { apiVersion: "v1", kind, metadata: { ...meta, ...(spec.template.metadata as object) }, spec: spec.template.spec };
    case "Deployment":
      return source;
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
      return { apiVersion: "apps/v1", kind, metadata: meta, spec: { selector: { matchLabels: { app: "web" } }, template: spec.template } };
    case "Job":
      return { apiVersion: "batch/v1", kind, metadata: meta, spec: { template: spec.template } };
    case "CronJob":
      return {
        apiVersion: "batch/v1",
        kind,
        metadata: meta,
        spec: { schedule: "*/5 * * * *", jobTemplate: { spec: { template: spec.template } } },
      };
    default:
      throw new Error(kind);
  }
}

const WORKLOAD_KINDS = ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"];
/**
 * workload-bad.yaml holds one mistake per workload rule (see its comments; the rule tables
 * assert each code); the catalog lacks one of the patches it names. What the bundled policy
 * makes of them: a deny rule's errors deny, everything else warns. annotation-placement reads
 * a controller's own metadata, which a Pod does not have.
 */
const BAD_CATALOG = ["sidecar-limits"];
const badFindings = BUILT_IN_RULES.filter((rule) => (rule.targets as readonly string[]).includes("workload")).map((rule) => ({
  rule,
  findings: checkRule(rule as Rule<WorkloadSubject>, subjectOf(fixture("workload-bad.yaml")) as WorkloadSubject, {
    catalog: catalogOf(patchesNamed(BAD_CATALOG)),
  }),
}));
const denies = (rule: { defaultAction: string }, severity: string) => rule.defaultAction === "deny" && severity === "error";
const BAD_DENIED = badFindings
  .filter(({ rule, findings }) => findings.some((f) => denies(rule, f.severity)))
  .map(({ rule }) => rule.id)
  .sort();
const BAD_WARNED = badFindings
  .filter(({ rule, findings }) => findings.some((f) => !denies(rule, f.severity)))
  .map(({ rule }) => rule.id)
  .sort();
const CONTROLLER_ONLY = "annotation-placement";

test("workload-bad.yaml has a mistake for every rule that checks only workloads (new rules too)", () => {
  const silent = badFindings.filter(
    ({ rule, findings }) => findings.length === 0 && !(rule.targets as readonly string[]).includes("containerpatch"),
  );
  assert.deepEqual(
    silent.map(({ rule }) => rule.id),
    [],
  );
});

for (const kind of WORKLOAD_KINDS) {
  for (const apiVersion of ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"]) {
    test(`${kind} (${apiVersion.split("/")[1]}): one mistake per workload rule is denied with every rule named`, async () => {
      const answer = await admit(asKind(kind, fixture("workload-bad.yaml")), { apiVersion }, catalogWith(BAD_CATALOG));
      assert.equal(answer.allowed, false);
      assert.equal(answer.status?.code, 403);
      assert.equal(answer.status?.reason, "Forbidden");
      assert.deepEqual(deniedIds(answer), BAD_DENIED);
      // A multi-document apply prints the message without the object: the message names it.
      const checked = kind === "Pod" ? "Pod shop/web" : `${kind} shop/web \\(pod template\\)`;
      assert.match(answer.status?.message ?? "", new RegExp(`^[a-z-]+: ${checked}: `));
      const expectedWarnings = kind === "Deployment" ? BAD_WARNED : BAD_WARNED.filter((id) => id !== CONTROLLER_ONLY);
      assert.deepEqual(warnedIds(answer), expectedWarnings);
    });
  }
  test(`${kind}: documented usage with its patches in the catalog is allowed without warnings`, async () => {
    const answer = await admit(asKind(kind, fixture("workload-good.yaml")), {}, catalogWith(["sidecar-limits", "init-limits"]));
    assert.deepEqual(answer, { uid: "705ab4f5-6393-11e8-b7cc-42010a800002", allowed: true });
  });
}

test("workload-missing-patch: a name the catalog lacks is denied in Kuma's words, without a catalog it only warns", async () => {
  const deployment = fixture("workload-good.yaml");
  const denied = await admit(deployment, {}, catalogWith(["sidecar-limits"]));
  assert.deepEqual(deniedIds(denied), ["workload-missing-patch"]);
  assert.match(denied.status?.message ?? "", /missing: \["init-limits"\]/);
  const unverified = await admit(deployment);
  assert.equal(unverified.allowed, true);
  assert.deepEqual(warnedIds(unverified), ["workload-missing-patch"]);
});

test("Kuma's own injected pod is allowed without warnings", async () => {
  const answer = await admit(fixture("kuma-injected-pod.yaml"), { namespace: "default" });
  assert.deepEqual(answer, { uid: "705ab4f5-6393-11e8-b7cc-42010a800002", allowed: true });
});

const containerPatches: { file: string; denied: string[]; warned: string[] }[] = [
  { file: "containerpatch-documented.yaml", denied: ["patch-container"], warned: ["patch-privilege"] },
  { file: "containerpatch-documented-fixed.yaml", denied: [], warned: ["patch-privilege"] },
  { file: "containerpatch-replace-privileged.yaml", denied: ["patch-apply"], warned: [] },
  { file: "containerpatch-unquoted-value.yaml", denied: ["patch-value"], warned: [] },
  { file: "containerpatch-yaml-boolean.yaml", denied: ["patch-value"], warned: [] },
  { file: "containerpatch-test-op.yaml", denied: ["patch-op"], warned: [] },
  { file: "containerpatch-missing-path.yaml", denied: ["patch-path"], warned: [] },
  { file: "containerpatch-default-namespace.yaml", denied: ["patch-namespace"], warned: [] },
];
for (const c of containerPatches) {
  for (const apiVersion of ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"]) {
    test(`ContainerPatch ${c.file} (${apiVersion.split("/")[1]})`, async () => {
      const answer = await admit(fixture(c.file), { apiVersion });
      assert.equal(answer.allowed, c.denied.length === 0);
      assert.deepEqual(deniedIds(answer), c.denied);
      assert.deepEqual(warnedIds(answer), c.warned);
    });
  }
}

test("a ContainerPatch with no blocks is allowed with patch-empty", async () => {
  const empty = { apiVersion: "kuma.io/v1alpha1", kind: "ContainerPatch", metadata: { name: "empty", namespace: "kuma-system" }, spec: {} };
  const answer = await admit(empty);
  assert.equal(answer.allowed, true);
  assert.deepEqual(warnedIds(answer), ["patch-empty"]);
});

test("Namespace labels: a word Kuma does not know is denied, yes warns", async () => {
  const namespace = (value: string): KubeObject => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "shop", ...{ labels: { "kuma.io/sidecar-injection": value } } },
  });
  assert.deepEqual(deniedIds(await admit(namespace("Enabled"))), ["sidecar-injection"]);
  const yes = await admit(namespace("yes"));
  assert.equal(yes.allowed, true);
  assert.deepEqual(warnedIds(yes), ["sidecar-injection"]);
  assert.deepEqual(await admit(namespace("enabled")), { uid: "705ab4f5-6393-11e8-b7cc-42010a800002", allowed: true });
});

test("DELETE of a bad object is allowed; dryRun is decided like a real request", async () => {
  const bad = fixture("containerpatch-test-op.yaml");
  const deleted = await admit(bad, { operation: "DELETE" });
  assert.equal(deleted.allowed, true);
  const dryRun = await admit(bad, { dryRun: true });
  assert.deepEqual(dryRun, await admit(bad, { dryRun: false }));
  assert.equal(dryRun.allowed, false);
});

test("UPDATE of an object that already had the finding warns; a new finding denies", async () => {
  const bad = fixture("containerpatch-test-op.yaml");
  const unchanged = await admit(bad, { operation: "UPDATE", oldObject: bad });
  assert.equal(unchanged.allowed, true);
  assert.deepEqual(warnedIds(unchanged), ["patch-op"]);
  const good = fixture("containerpatch-documented-fixed.yaml");
  const worse = await admit(bad, { operation: "UPDATE", oldObject: { ...good, metadata: bad.metadata } });
  assert.equal(worse.allowed, false);
});
