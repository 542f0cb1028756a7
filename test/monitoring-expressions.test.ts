// deploy/monitoring/ only queries metrics kuma-guard really exports (issue 6): every metric
// name in the dashboard's and the PrometheusRule's expressions is checked against the live
// /metrics output of a test app. Also: alerts carry summary/description/runbook_url, the
// kustomization ships the dashboard as a sidecar ConfigMap, docs/monitoring.md names every
// panel and alert.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import request from "supertest";
import { parse, parseAllDocuments } from "yaml";
import { Registry } from "prom-client";
import { createAuditMetrics } from "../src/metrics.js";
import { createTestApp } from "./support/app.js";
import { REPO_ROOT } from "./support/context.js";

const read = (path: string): string => readFileSync(new URL(path, REPO_ROOT), "utf8");

const DASHBOARD_FILE = "deploy/monitoring/kuma-guard-dashboard.json";
const RULE_FILE = "deploy/monitoring/prometheus-rule.yaml";
const RUNBOOK = "https://github.com/kuma-guard/kuma-guard/blob/main/docs/operations.md#";

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; definition?: string; query?: unknown }[] };
}
interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const dashboard = JSON.parse(read(DASHBOARD_FILE)) as Dashboard;
const ruleObject = parse(read(RULE_FILE)) as { kind: string; spec: { groups: { name: string; rules: AlertRule[] }[] } };
const alertRules = ruleObject.spec.groups.flatMap((g) => g.rules);

function panelsOf(list: readonly Panel[]): Panel[] {
  return list.flatMap((p) => [p, ...panelsOf(p.panels ?? [])]);
}
const panels = panelsOf(dashboard.panels);

/** Every PromQL string: panel targets, variable queries, alert expressions. */
function expressions(): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const panel of panels) for (const target of panel.targets ?? []) out.push({ where: `panel "${panel.title}"`, expr: target.expr });
  for (const variable of dashboard.templating.list) {
    if (variable.type !== "query") continue;
    const query = typeof variable.query === "string" ? variable.query : (variable.query as { query?: string } | undefined)?.query;
    for (const expr of [variable.definition, query]) if (expr) out.push({ where: `variable $${variable.name}`, expr });
  }
  for (const rule of alertRules) out.push({ where: `alert ${rule.alert ?? rule.record}`, expr: rule.expr });
  return out;
}

/** Metric names kuma-guard exports, by prefix: its own, and prom-client's default process metrics. */
const METRIC_NAME = /\b(?:kuma_guard|process|nodejs)_[a-zA-Z0-9_]*/g;

/** The families (name → type) declared by `# TYPE` lines of a live /metrics. */
async function liveFamilies(): Promise<Map<string, string>> {
  const { app } = createTestApp();
  const res = await request(app).get("/metrics");
  assert.equal(res.status, 200);
  const families = new Map<string, string>();
  for (const match of res.text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(match[1]!, match[2]!);
  // The audit's metrics are registered only by serve --kube --audit-interval.
  const audit = new Registry();
  createAuditMetrics(audit);
  for (const match of (await audit.metrics()).matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(match[1]!, match[2]!);
  return families;
}

/** The exported family a queried series belongs to: itself, or a histogram's base for _bucket/_sum/_count. */
function resolve(families: Map<string, string>, name: string): string | undefined {
  if (families.has(name)) return name;
  const suffix = /_(bucket|sum|count)$/.exec(name);
  if (!suffix) return undefined;
  const base = name.slice(0, -suffix[0].length);
  const type = families.get(base);
  return type === "histogram" || (type === "summary" && suffix[1] !== "bucket") ? base : undefined;
}

test("every metric named in the dashboard and the alerts is exported by /metrics", async () => {
  const families = await liveFamilies();
  const used = new Set<string>();
  const missing: string[] = [];
  for (const { where, expr } of expressions()) {
    const names = expr.match(METRIC_NAME) ?? [];
    for (const name of names) {
      const family = resolve(families, name);
      if (family) used.add(family);
      else missing.push(`${where}: ${name}`);
    }
  }
  assert.deepEqual(missing, [], "queried but not exported");
  // And the other way round: every kuma-guard metric is on the dashboard or in an alert.
  const unwatched = [...families.keys()].filter((name) => name.startsWith("kuma_guard_") && !used.has(name));
  assert.deepEqual(unwatched, [], "exported but neither graphed nor alerted on");
});

test("every expression is balanced: brackets, braces, parentheses and quotes", () => {
  for (const { where, expr } of expressions()) {
    const stack: string[] = [];
    let quoted = false;
    for (let i = 0; i < expr.length; i++) {
      const c = expr[i]!;
      if (quoted) {
        if (c === "\\") i++;
        else if (c === '"') quoted = false;
        continue;
      }
      if (c === '"') quoted = true;
      else if ("([{".includes(c)) stack.push(c);
      else if (")]}".includes(c)) assert.equal(stack.pop(), "([{"[")]}".indexOf(c)], `${where}: unbalanced ${c} in ${expr}`);
    }
    assert.ok(!quoted && stack.length === 0, `${where}: unclosed in ${expr}`);
  }
});

const REQUIRED_ALERTS = [
  "KumaGuardAdmissionErrors",
  "KumaGuardHighLatency",
  "KumaGuardPolicyReloadFailing",
  "KumaGuardCatalogNotSynced",
  "KumaGuardCertificateExpiringSoon",
  "KumaGuardNoAdmissionRequests",
];

test("the PrometheusRule has the required alerts, each with severity, summary, description and a runbook anchor", () => {
  assert.equal(ruleObject.kind, "PrometheusRule");
  const names = alertRules.map((r) => r.alert);
  for (const name of REQUIRED_ALERTS) assert.ok(names.includes(name), `alert ${name}`);
  assert.equal(new Set(names).size, names.length, "alert names are unique");
  for (const rule of alertRules) {
    assert.ok(rule.alert, "alerts only: no recording rules to keep in sync");
    assert.match(rule.labels?.severity ?? "", /^(warning|critical)$/, `${rule.alert}: severity`);
    for (const key of ["summary", "description"]) assert.ok((rule.annotations?.[key] ?? "").length > 10, `${rule.alert}: ${key}`);
    assert.equal(rule.annotations?.runbook_url, `${RUNBOOK}${rule.alert.toLowerCase()}`, `${rule.alert}: runbook_url`);
  }
  const byName = new Map(alertRules.map((r) => [r.alert, r]));
  // The thresholds issue 6 asks for.
  assert.match(
    byName.get("KumaGuardHighLatency")?.expr ?? "",
    /histogram_quantile\(0\.99,[^]*kuma_guard_admission_duration_seconds_bucket[^]*>\s*1\s*$/,
  );
  assert.equal(byName.get("KumaGuardHighLatency")?.for, "5m");
  assert.match(byName.get("KumaGuardCertificateExpiringSoon")?.expr ?? "", /< 14 \* 24 \* 3600\s*$/);
  assert.match(byName.get("KumaGuardNoAdmissionRequests")?.expr ?? "", /increase\(kuma_guard_admission_requests_total\[15m\]\)/);
});

test("docs/operations.md has a heading for every runbook anchor", {
  skip: !existsSync(new URL("docs/operations.md", REPO_ROOT)) && "docs/operations.md not written yet",
}, () => {
  // GitHub's anchor: the heading text lower-cased, spaces to dashes, punctuation dropped.
  const anchors = new Set(
    read("docs/operations.md")
      .split("\n")
      .filter((line) => /^#{1,6} /.test(line))
      .map((line) =>
        line
          .replace(/^#+ /, "")
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\s_-]/gu, "")
          .replace(/\s/g, "-"),
      ),
  );
  for (const rule of alertRules) assert.ok(anchors.has(rule.alert!.toLowerCase()), `docs/operations.md needs a heading "${rule.alert}"`);
});

const REQUIRED_PANELS = [
  "Request rate by decision",
  "Admission latency p50 / p95 / p99",
  "Top rules by findings",
  "Per-rule mean latency",
  "Per-rule p99 latency",
  "Policy reload failures",
  "Catalog synced",
  "Certificate expires in",
  "Memory",
  "CPU",
];

test("the dashboard has the required panels, unique ids, the datasource variable and a 24-column grid", () => {
  assert.equal(dashboard.uid, "kuma-guard");
  const titles = panels.map((p) => p.title);
  for (const title of REQUIRED_PANELS) assert.ok(titles.includes(title), `panel "${title}"`);
  assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, "panel ids are unique");
  assert.ok(dashboard.templating.list.some((v) => v.name === "datasource" && v.type === "datasource"));
  for (const panel of panels) {
    assert.ok(panel.gridPos.x >= 0 && panel.gridPos.x + panel.gridPos.w <= 24, `${panel.title}: inside the grid`);
    if (panel.type === "row") continue;
    // ${datasource}: works both for the sidecar and for a UI import, whatever the Prometheus is called.
    assert.equal(panel.datasource?.uid, "${datasource}", `${panel.title}: datasource`);
    assert.ok((panel.targets ?? []).length > 0, `${panel.title}: a query`);
    for (const target of panel.targets ?? []) assert.equal(target.datasource?.uid, "${datasource}", `${panel.title}: target datasource`);
  }
});

test("docs/monitoring.md describes every panel and every alert", () => {
  const docs = read("docs/monitoring.md");
  for (const panel of panels) if (panel.type !== "row") assert.ok(docs.includes(panel.title), `docs/monitoring.md: panel "${panel.title}"`);
  for (const rule of alertRules) assert.ok(docs.includes(rule.alert!), `docs/monitoring.md: alert ${rule.alert}`);
  assert.ok(docs.includes("kubectl apply -k deploy/monitoring/"));
});

// --- the kustomization, rendered (kubectl is required, as for test/deploy-manifests) ----------

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
} & Record<string, any>;

function render(dir: string): K8sObject[] {
  const out = execFileSync("kubectl", ["kustomize", dir], {
    cwd: new URL(".", REPO_ROOT),
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return parseAllDocuments(out)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

test("deploy/monitoring renders the ServiceMonitor, the PrometheusRule and the dashboard ConfigMap for the Grafana sidecar", () => {
  const objects = render("deploy/monitoring");
  assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
    "ConfigMap/kuma-guard-dashboard",
    "PrometheusRule/kuma-guard",
    "ServiceMonitor/kuma-guard",
  ]);
  for (const object of objects) assert.equal(object.metadata.namespace, "kuma-guard", `${object.kind} namespace`);

  const configMap = objects.find((o) => o.kind === "ConfigMap")!;
  assert.equal(configMap.metadata.labels?.grafana_dashboard, "1", "the label the Grafana sidecar looks for");
  assert.equal(configMap.data["kuma-guard-dashboard.json"], read(DASHBOARD_FILE), "the ConfigMap carries the file as it is");

  // The ServiceMonitor finds the base's Service kuma-guard/kuma-guard and its `metrics` port.
  const monitor = objects.find((o) => o.kind === "ServiceMonitor")!;
  const service = render("deploy").find((o) => o.kind === "Service" && o.metadata.name === "kuma-guard");
  assert.ok(service, "deploy/ renders the Service kuma-guard");
  assert.equal(service.metadata.namespace, "kuma-guard");
  assert.deepEqual(monitor.spec.namespaceSelector, { matchNames: ["kuma-guard"] });
  for (const [key, value] of Object.entries(monitor.spec.selector.matchLabels as Record<string, string>)) {
    assert.equal(service.metadata.labels?.[key], value, `the Service carries ${key}=${value}`);
  }
  const port = (service.spec.ports as { name: string; port: number }[]).find((p) => p.name === "metrics");
  assert.equal(port?.port, 9090);
  assert.deepEqual(
    (monitor.spec.endpoints as { port: string; path: string; scheme: string }[]).map(({ port, path, scheme }) => ({ port, path, scheme })),
    [{ port: "metrics", path: "/metrics", scheme: "http" }],
  );
});
