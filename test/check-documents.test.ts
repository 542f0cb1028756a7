import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { catalogFor, checkDocuments, readInputs, toCreateRequest } from "../src/check.js";
import type { CheckEnv } from "../src/check.js";
import { readManifests } from "../src/manifests.js";
import { advisory } from "../src/rules/types.js";
import type { Rule, WorkloadSubject } from "../src/rules/types.js";
import { catalogOf } from "./support/context.js";
import { sidecarInjection } from "../src/rules/sidecar-injection.js";
import { fakeAnnotationRule, fakeThrowingRule, policyWith } from "./support/policy.js";

// check's logic apart from the process: documents → report through review(), with fake rules so
// the mechanics (actions, onError, skipped kinds, the catalog overlay) do not depend on real rules.

/** Reports whether the catalog is configured and holds "p1", so the overlay is observable. */
const catalogProbe: Rule<WorkloadSubject> = {
  id: "fake-catalog",
  summary: "fake",
  defaultAction: "warn",
  targets: ["workload"],
  codes: { probe: { when: "always" } },
  check: (_subject, ctx) => [advisory("probe", `configured=${ctx.catalog.configured} p1=${ctx.catalog.get("p1")?.namespace ?? "none"}`)],
};

const MANIFESTS = `# helm template output
apiVersion: v1
kind: Service
metadata: {name: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata:
      annotations: {kuma.io/one: bad, kuma.io/two: meh}
---
apiVersion: example.com/v1
kind: Deployment
metadata: {name: not-apps}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: shop
  annotations: {kuma.io/one: bad}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-1, uid: u, controller: true}]
`;

function env(overrides: Partial<CheckEnv> = {}): CheckEnv {
  return {
    policy: policyWith([fakeAnnotationRule]),
    baseCatalog: undefined,
    namespace: "staging",
    files: ["app.yaml"],
    version: "0.0.0-test",
    ...overrides,
  };
}

const docsOf = (text: string) => readManifests(text, "app.yaml").documents;

test("routed documents become objects with file:line, other kinds (and CRDs reusing a name) are skipped", () => {
  const { report } = checkDocuments(docsOf(MANIFESTS), env());
  assert.equal(report.skipped, 2);
  assert.deepEqual(
    report.objects.map((o) => [o.kind, o.namespace, o.name, o.file, o.line]),
    [
      ["Deployment", "staging", "web", "app.yaml", 7],
      ["Pod", "shop", "web-1", "app.yaml", 19],
    ],
  );
});

test("CREATE semantics of the server: errors deny, advisories warn, a controller-owned Pod only warns", () => {
  const { report } = checkDocuments(docsOf(MANIFESTS), env());
  assert.deepEqual(
    report.objects.map((o) => o.findings.map((f) => `${f.action} ${f.severity} ${f.message}`)),
    [["deny error kuma.io/one is bad", "warn advisory kuma.io/two is meh"], ["warn error kuma.io/one is bad"]],
  );
});

test("policy actions apply: audit and off", () => {
  const audited = checkDocuments(
    docsOf(MANIFESTS),
    env({ policy: policyWith([fakeAnnotationRule], { actions: { "fake-annotation": "audit" } }) }),
  );
  assert.deepEqual(
    audited.report.objects[0]!.findings.map((f) => f.action),
    ["audit", "audit"],
  );
  const off = checkDocuments(
    docsOf(MANIFESTS),
    env({ policy: policyWith([fakeAnnotationRule], { actions: { "fake-annotation": "off" } }) }),
  );
  assert.deepEqual(
    off.report.objects.flatMap((o) => o.findings),
    [],
  );
});

test("a rule that throws is an internal-error finding that denies only when onError is deny", () => {
  for (const onError of ["allow", "deny"] as const) {
    const { report, failures } = checkDocuments(docsOf(MANIFESTS), env({ policy: policyWith([fakeThrowingRule], { onError }) }));
    const finding = report.objects[0]!.findings[0]!;
    assert.equal(finding.ruleId, "internal-error");
    assert.equal(finding.action, onError === "deny" ? "deny" : "warn");
    assert.equal(finding.message, "fake-throws failed: boom");
    assert.equal(failures.length, 2, "one failure per object, for the log");
    assert.ok(report.rules.some((r) => r.id === "internal-error"));
  }
});

const WORKLOAD = `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
`;
const patchIn = (namespace: string | undefined, name = "p1") => `---
apiVersion: kuma.io/v1alpha1
kind: ContainerPatch
metadata: {name: ${name}${namespace ? `, namespace: ${namespace}` : ""}}
spec: {sidecarPatch: [{op: add, path: /securityContext/runAsNonRoot, value: "true"}]}
`;
const probe = (text: string, overrides: Partial<CheckEnv> = {}) =>
  checkDocuments(docsOf(text), env({ policy: policyWith([catalogProbe]), ...overrides })).report.objects.find((o) => o.kind === "Pod")!
    .findings[0]!.message;

test("without --patches and without input ContainerPatches the catalog is not configured", () => {
  assert.equal(probe(WORKLOAD), "configured=false p1=none");
});

test("an input ContainerPatch in a control-plane namespace joins the catalog and configures it", () => {
  assert.equal(probe(WORKLOAD + patchIn("kuma-system")), "configured=true p1=kuma-system");
});

test("an input ContainerPatch elsewhere neither joins nor configures the catalog", () => {
  assert.equal(probe(WORKLOAD + patchIn("shop")), "configured=false p1=none");
});

test("a ContainerPatch without a namespace takes --namespace, as kubectl would", () => {
  assert.equal(probe(WORKLOAD + patchIn(undefined), { namespace: "kuma-system" }), "configured=true p1=kuma-system");
  assert.equal(probe(WORKLOAD + patchIn(undefined)), "configured=false p1=none");
});

test("input ContainerPatches overlay --patches: the input's version of a name wins, others still resolve", () => {
  const base = catalogOf([
    { name: "p1", namespace: "kuma-system", spec: { sidecarPatch: [{ op: "remove", path: "/x" }] } },
    { name: "p2", namespace: "kuma-system", spec: {} },
  ]);
  const view = catalogFor(docsOf(WORKLOAD + patchIn("kuma-system")), { policy: policyWith([]), baseCatalog: base, namespace: "default" });
  assert.equal(view.configured, true);
  assert.deepEqual(view.get("p1")?.spec, { sidecarPatch: [{ op: "add", path: "/securityContext/runAsNonRoot", value: "true" }] });
  assert.equal(view.get("p2")?.name, "p2");
  assert.equal(view.get("p3"), undefined);
  assert.equal(
    catalogFor(docsOf(WORKLOAD), { policy: policyWith([]), baseCatalog: base, namespace: "default" }).configured,
    true,
    "--patches alone configures it",
  );
});

test("toCreateRequest splits apiVersion and fills the namespace like kubectl", () => {
  const request = toCreateRequest({ apiVersion: "batch/v1", kind: "CronJob", metadata: { generateName: "job-" } }, "default");
  assert.deepEqual(
    [request.kind, request.namespace, request.name, request.operation],
    [{ group: "batch", version: "v1", kind: "CronJob" }, "default", "job-", "CREATE"],
  );
  assert.equal(toCreateRequest({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } }, "default").namespace, "");
  assert.deepEqual(toCreateRequest({}, "ns").kind, { group: "", version: "", kind: "" });
});

test("readInputs: files, directories recursively (manifest extensions only), stdin once, errors as problems", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kuma-guard-check-"));
  mkdirSync(join(dir, "a", "b"), { recursive: true });
  mkdirSync(join(dir, "empty"));
  writeFileSync(join(dir, "a", "one.yaml"), "kind: A\n");
  writeFileSync(join(dir, "a", "b", "two.JSON"), "{}\n");
  writeFileSync(join(dir, "a", "b", "three.yml"), "kind: C\n");
  writeFileSync(join(dir, "a", "notes.txt"), "not a manifest\n");
  writeFileSync(join(dir, "plain.txt"), "kind: D\n");
  let stdinReads = 0;
  const { sources, errors } = await readInputs(
    [join(dir, "a"), "-", join(dir, "a", "one.yaml"), join(dir, "plain.txt"), "-", join(dir, "missing.yaml"), join(dir, "empty")],
    async () => {
      stdinReads++;
      return "kind: S\n";
    },
  );
  assert.deepEqual(
    sources.map((s) => s.file),
    [join(dir, "a", "b", "three.yml"), join(dir, "a", "b", "two.JSON"), join(dir, "a", "one.yaml"), "<stdin>", join(dir, "plain.txt")],
  );
  assert.equal(stdinReads, 1);
  assert.deepEqual(errors, [
    { file: join(dir, "missing.yaml"), code: "unreadable-file", message: "cannot be read: no such file or directory" },
    { file: join(dir, "empty"), code: "empty-directory", message: "no .yaml, .yml or .json files in this directory" },
  ]);
});

test("Namespaces in the input tell whether their workloads are injected", () => {
  const manifests = `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {kuma.io/sidecar-injection: disabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata:
      labels: {kuma.io/sidecar-injection: "true"}
      annotations: {kuma.io/one: bad}
`;
  const { report } = checkDocuments(docsOf(manifests), env({ policy: policyWith([fakeAnnotationRule, sidecarInjection]) }));
  const deployment = report.objects.find((o) => o.kind === "Deployment")!;
  // Not injected in that namespace: the annotation rule is skipped, the label rule says why.
  assert.deepEqual(
    deployment.findings.map((f) => f.ruleId),
    ["sidecar-injection"],
  );
  assert.match(deployment.findings[0]!.message, /namespace shop is labelled "disabled"/);
});
