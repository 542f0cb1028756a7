import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { parseAllDocuments } from "yaml";
import { createKubeHttp } from "../src/audit/kube-http.js";
import { createPolicyReportWriter, MAX_RESULTS, toPolicyReports } from "../src/audit/policy-reports.js";
import type { AuditResult } from "../src/audit/run.js";
import type { Logger } from "../src/logger.js";
import type { ReportObject } from "../src/report/model.js";
import { FakeListWatch } from "./support/fake-list-watch.js";
import { REPO_ROOT } from "./support/context.js";
import { createMemoryLogger } from "./support/logger.js";

// PolicyReports against the published v1alpha2 CRDs (test/fixtures/policy-report/, from
// kubernetes-sigs/wg-policy-prototypes), and written in place through a local API server.

/** The v1alpha2 openAPIV3Schema of a CRD fixture, with unknown fields refused (the API server would prune them silently). */
function schemaOf(file: string): object {
  const text = readFileSync(new URL(`test/fixtures/policy-report/${file}`, REPO_ROOT), "utf8");
  const crd = parseAllDocuments(text)
    .map((d) => d.toJS() as { kind?: string; spec?: { versions: { name: string; schema: { openAPIV3Schema: object } }[] } })
    .find((d) => d?.kind === "CustomResourceDefinition");
  const version = crd?.spec?.versions.find((v) => v.name === "v1alpha2");
  assert.ok(version, `${file}: no v1alpha2`);
  const closed = (node: unknown, path: string): unknown => {
    if (Array.isArray(node)) return node.map((n) => closed(n, path));
    if (node === null || typeof node !== "object") return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node))
      out[key] =
        key === "properties"
          ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, closed(v, `${path}.${k}`)]))
          : closed(value, path);
    if (out["type"] === "object" && out["properties"] && path !== ".metadata") out["additionalProperties"] ??= false;
    return out;
  };
  return closed(version.schema.openAPIV3Schema, "") as object;
}

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
const validators = {
  PolicyReport: ajv.compile(schemaOf("wgpolicyk8s.io_policyreports.yaml")),
  ClusterPolicyReport: ajv.compile(schemaOf("wgpolicyk8s.io_clusterpolicyreports.yaml")),
};

const objects: ReportObject[] = [
  {
    kind: "Deployment",
    namespace: "shop",
    name: "cart",
    file: "",
    line: 1,
    findings: [
      {
        ruleId: "workload-missing-patch",
        action: "deny",
        severity: "error",
        message: 'it appears some expected container patches are missing: ["gone"]',
        path: 'spec.template.metadata.annotations["kuma.io/container-patches"]',
      },
      { ruleId: "annotation-unknown", action: "warn", severity: "advisory", message: "unknown annotation" },
    ],
  },
  {
    kind: "Pod",
    namespace: "batch",
    name: "one-off",
    file: "",
    line: 1,
    findings: [{ ruleId: "exclude-ports", action: "audit", severity: "error", message: "port 0" }],
  },
  {
    kind: "Namespace",
    namespace: "",
    name: "shop",
    file: "",
    line: 1,
    findings: [{ ruleId: "sidecar-injection", action: "warn", severity: "advisory", message: "label value" }],
  },
];

test("one PolicyReport per namespace and a ClusterPolicyReport, valid against the published v1alpha2 CRDs", () => {
  const reports = toPolicyReports(objects, new Date("2026-12-06T04:00:00Z"));
  assert.deepEqual([...reports.keys()].sort(), ["", "batch", "shop"]);
  for (const report of reports.values()) {
    const validate = validators[report.kind];
    assert.ok(validate(report), `${report.kind}: ${ajv.errorsText(validate.errors)}`);
  }
  const shop = reports.get("shop")!;
  assert.deepEqual(shop.summary, { pass: 0, fail: 1, warn: 1, error: 0, skip: 0 });
  assert.deepEqual(shop.results[0], {
    source: "kuma-guard",
    policy: "kuma-guard",
    rule: "workload-missing-patch",
    result: "fail",
    severity: "high",
    message: 'it appears some expected container patches are missing: ["gone"]',
    scored: true,
    resources: [{ apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "cart" }],
    timestamp: { seconds: 1796529600, nanos: 0 },
    properties: { action: "deny", path: 'spec.template.metadata.annotations["kuma.io/container-patches"]' },
  });
  assert.equal(reports.get("")!.kind, "ClusterPolicyReport");
  assert.equal(reports.get("")!.metadata.namespace, undefined);
});

test("a report is bounded to MAX_RESULTS results; the summary still counts them all", () => {
  const many: ReportObject[] = Array.from({ length: MAX_RESULTS + 5 }, (_, i) => ({
    kind: "Pod",
    namespace: "big",
    name: `p-${i}`,
    file: "",
    line: 1,
    findings: [{ ruleId: "exclude-ports", action: "deny", severity: "error", message: "bad" }],
  }));
  const report = toPolicyReports(many, new Date()).get("big")!;
  assert.equal(report.results.length, MAX_RESULTS);
  assert.equal(report.summary.fail, MAX_RESULTS + 5);
  assert.match(report.metadata.annotations?.["kuma-guard.io/results-omitted"] ?? "", /^5 results beyond 1000/);
  assert.ok(validators.PolicyReport(report), ajv.errorsText(validators.PolicyReport.errors));
});

const resultOf = (reported: ReportObject[]): AuditResult => ({
  report: { tool: { name: "kuma-guard", version: "test" }, files: [], objects: reported, skipped: 0, rules: [] },
  judged: {},
  sharedPods: 0,
  unreported: 0,
  violations: [],
  restarts: 0,
  failures: [],
});

test("reports are updated in place, and those of namespaces that became clean are deleted", async () => {
  const api = FakeListWatch.standard();
  await api.start();
  const writer = createPolicyReportWriter({ http: createKubeHttp(api.kubeConfig()), logger: createMemoryLogger() as unknown as Logger });
  const GROUP = "/apis/wgpolicyk8s.io/v1alpha2";
  try {
    await writer.write(resultOf(objects));
    const first = api.get(GROUP, "policyreports", "shop", "kuma-guard")!;
    assert.ok(api.get(GROUP, "clusterpolicyreports", undefined, "kuma-guard"));
    assert.ok(api.get(GROUP, "policyreports", "batch", "kuma-guard"));

    await writer.write(resultOf([objects[0]!]));
    const second = api.get(GROUP, "policyreports", "shop", "kuma-guard")!;
    assert.equal(second.metadata.uid, first.metadata.uid, "the same object, updated");
    assert.notEqual(second.metadata.resourceVersion, first.metadata.resourceVersion);
    assert.equal(api.get(GROUP, "policyreports", "batch", "kuma-guard"), undefined);
    assert.equal(api.get(GROUP, "clusterpolicyreports", undefined, "kuma-guard"), undefined);
    assert.ok(api.requests.some((r) => r.method === "PUT" && r.path === `${GROUP}/namespaces/shop/policyreports/kuma-guard`));
  } finally {
    await api.stop();
  }
});
