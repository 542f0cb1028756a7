// The audit's findings as Policy Working Group reports (wgpolicyk8s.io/v1alpha2, the format
// Kyverno writes and Policy Reporter shows): one PolicyReport per namespace with findings and
// one ClusterPolicyReport for cluster-scoped objects, all named "kuma-guard", updated in place
// after each audit; reports of namespaces that are clean now are deleted.
import type { Logger } from "../logger.js";
import type { ReportFinding, ReportObject } from "../report/model.js";
import { isRecord } from "./kube-http.js";
import type { KubeHttp } from "./kube-http.js";
import type { AuditResult } from "./run.js";

export const REPORT_NAME = "kuma-guard";
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "kuma-guard" };
/** Results per report: 1,000 results of ~600 bytes stay far below etcd's 1.5 MiB object limit. */
export const MAX_RESULTS = 1000;
const GROUP_PATH = "/apis/wgpolicyk8s.io/v1alpha2";

export interface PolicyReportResult {
  source: string;
  policy: string;
  rule: string;
  result: "pass" | "fail" | "warn" | "error" | "skip";
  severity: "high" | "medium" | "low";
  message: string;
  scored: boolean;
  resources: { apiVersion: string; kind: string; namespace?: string; name: string }[];
  timestamp: { seconds: number; nanos: number };
  properties: Record<string, string>;
}

export interface PolicyReportBody {
  apiVersion: "wgpolicyk8s.io/v1alpha2";
  kind: "PolicyReport" | "ClusterPolicyReport";
  metadata: {
    name: string;
    namespace?: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
  };
  summary: { pass: number; fail: number; warn: number; error: number; skip: number };
  results: PolicyReportResult[];
}

const API_VERSIONS: Readonly<Record<string, string>> = {
  ContainerPatch: "kuma.io/v1alpha1",
  Namespace: "v1",
  Pod: "v1",
  Deployment: "apps/v1",
  StatefulSet: "apps/v1",
  DaemonSet: "apps/v1",
  ReplicaSet: "apps/v1",
  Job: "batch/v1",
  CronJob: "batch/v1",
};

/** The reports for one audit's objects, by namespace ("" = the ClusterPolicyReport). Pure. */
export function toPolicyReports(objects: readonly ReportObject[], at: Date): Map<string, PolicyReportBody> {
  const timestamp = { seconds: Math.floor(at.getTime() / 1000), nanos: 0 };
  const reports = new Map<string, PolicyReportBody>();
  const omitted = new Map<string, number>();
  for (const object of objects) {
    const namespace = object.namespace;
    let report = reports.get(namespace);
    if (!report) {
      report = {
        apiVersion: "wgpolicyk8s.io/v1alpha2",
        kind: namespace === "" ? "ClusterPolicyReport" : "PolicyReport",
        metadata: { name: REPORT_NAME, ...(namespace === "" ? {} : { namespace }), labels: { ...MANAGED_BY } },
        summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 },
        results: [],
      };
      reports.set(namespace, report);
    }
    for (const finding of object.findings) {
      const result = toResult(object, finding, timestamp);
      report.summary[result.result]++;
      if (report.results.length < MAX_RESULTS) report.results.push(result);
      else omitted.set(namespace, (omitted.get(namespace) ?? 0) + 1);
    }
  }
  for (const [namespace, count] of omitted) {
    const report = reports.get(namespace)!;
    report.metadata.annotations = {
      "kuma-guard.io/results-omitted": `${count} results beyond ${MAX_RESULTS} are counted in summary but not listed; run kuma-guard audit for all`,
    };
  }
  return reports;
}

function toResult(object: ReportObject, finding: ReportFinding, timestamp: { seconds: number; nanos: number }): PolicyReportResult {
  const properties: Record<string, string> = { action: finding.action };
  if (finding.path !== undefined) properties["path"] = finding.path;
  return {
    source: "kuma-guard",
    policy: "kuma-guard",
    rule: finding.ruleId,
    // deny → fail; warn and audit → warn (the policy lets them through)
    result: finding.action === "deny" ? "fail" : "warn",
    severity: finding.severity === "error" ? "high" : "low",
    message: finding.message,
    scored: true,
    resources: [
      {
        apiVersion: API_VERSIONS[object.kind] ?? "v1",
        kind: object.kind,
        ...(object.namespace ? { namespace: object.namespace } : {}),
        name: object.name,
      },
    ],
    timestamp,
    properties,
  };
}

export interface PolicyReportWriter {
  write(result: AuditResult): Promise<void>;
}

/** Writes the reports: create or update in place (PUT with the stored resourceVersion), delete those of namespaces now clean. */
export function createPolicyReportWriter(options: { http: KubeHttp; logger: Logger; now?: () => Date }): PolicyReportWriter {
  const { http, logger } = options;
  const pathOf = (namespace: string): string =>
    namespace === ""
      ? `${GROUP_PATH}/clusterpolicyreports/${REPORT_NAME}`
      : `${GROUP_PATH}/namespaces/${encodeURIComponent(namespace)}/policyreports/${REPORT_NAME}`;
  const collectionOf = (namespace: string): string =>
    namespace === "" ? `${GROUP_PATH}/clusterpolicyreports` : `${GROUP_PATH}/namespaces/${encodeURIComponent(namespace)}/policyreports`;

  const upsert = async (namespace: string, body: PolicyReportBody): Promise<void> => {
    const current = await http.call("GET", pathOf(namespace), { timeoutMs: 10_000 });
    if (current.status === 404) {
      const created = await http.call("POST", collectionOf(namespace), { body, timeoutMs: 10_000 });
      if (created.status !== 201 && created.status !== 200)
        throw new Error(`create ${body.kind} ${namespace || "(cluster)"}: HTTP ${created.status}${message(created.body)}`);
      return;
    }
    if (current.status !== 200 || !isRecord(current.body) || !isRecord(current.body["metadata"]))
      throw new Error(`get ${body.kind} ${namespace || "(cluster)"}: HTTP ${current.status}${message(current.body)}`);
    const resourceVersion = current.body["metadata"]["resourceVersion"];
    const updated = await http.call("PUT", pathOf(namespace), {
      body: { ...body, metadata: { ...body.metadata, resourceVersion } },
      timeoutMs: 10_000,
    });
    if (updated.status !== 200)
      throw new Error(`update ${body.kind} ${namespace || "(cluster)"}: HTTP ${updated.status}${message(updated.body)}`);
  };

  return {
    async write(result) {
      const reports = toPolicyReports(result.report.objects, options.now?.() ?? new Date());
      let failures = 0;
      for (const [namespace, body] of reports) {
        try {
          await upsert(namespace, body);
        } catch (e) {
          failures++;
          logger.warn({ err: e, namespace }, "PolicyReport not written");
        }
      }
      // Reports from earlier audits for namespaces (or the cluster) without findings now.
      const selector = Object.entries(MANAGED_BY)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
      for (const plural of ["policyreports", "clusterpolicyreports"]) {
        const listed = await http.call("GET", `${GROUP_PATH}/${plural}`, { query: { labelSelector: selector }, timeoutMs: 10_000 });
        const items = listed.status === 200 && isRecord(listed.body) && Array.isArray(listed.body["items"]) ? listed.body["items"] : [];
        for (const item of items) {
          const metadata = isRecord(item) && isRecord(item["metadata"]) ? item["metadata"] : {};
          const namespace = plural === "policyreports" && typeof metadata["namespace"] === "string" ? metadata["namespace"] : "";
          if (metadata["name"] !== REPORT_NAME || reports.has(namespace)) continue;
          await http.call("DELETE", pathOf(namespace), { timeoutMs: 10_000 });
        }
      }
      if (failures > 0) throw new Error(`${failures} of ${reports.size} PolicyReports not written (see the warnings above)`);
    },
  };
}

function message(body: unknown): string {
  return isRecord(body) && typeof body["message"] === "string" ? `: ${body["message"]}` : "";
}
