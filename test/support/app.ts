// An app wired with fakes: no listener, no files, a silent or captured logger.
import { Writable } from "node:stream";
import { pino } from "pino";
import { createApp, DEFAULT_MAX_BODY } from "../../src/server/app.js";
import type { AppDeps, Endpoints } from "../../src/server/app.js";
import { createMetrics } from "../../src/metrics.js";
import type { Metrics } from "../../src/metrics.js";
import { createDefaultPolicy } from "../../src/policy/compile.js";
import { createNoCatalog } from "../../src/catalog/types.js";
import type { CatalogSource } from "../../src/catalog/types.js";
import type { Policy } from "../../src/policy/types.js";
import type { NamespaceLabels } from "../../src/snapshot.js";

export interface TestApp {
  app: ReturnType<typeof createApp>;
  metrics: Metrics;
  /** Every JSON log line written so far. */
  logs: Record<string, unknown>[];
}

export function createTestApp(
  overrides: {
    policy?: Policy;
    catalog?: CatalogSource;
    ready?: () => boolean;
    maxBody?: number;
    bodyBudget?: number;
    endpoints?: Endpoints;
    namespaceLabels?: NamespaceLabels;
  } = {},
): TestApp {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const metrics = createMetrics();
  const policy = overrides.policy ?? createDefaultPolicy();
  const catalog = overrides.catalog ?? createNoCatalog();
  const deps: AppDeps = {
    logger: pino({ level: "debug" }, sink),
    metrics,
    state: () => ({ policy, catalog, ...(overrides.namespaceLabels ? { namespaceLabels: overrides.namespaceLabels } : {}) }),
    maxBody: overrides.maxBody ?? DEFAULT_MAX_BODY,
    isReady: overrides.ready ?? (() => true),
    ...(overrides.bodyBudget !== undefined ? { bodyBudget: overrides.bodyBudget } : {}),
  };
  return { app: createApp(deps, overrides.endpoints), metrics, logs };
}

/** An AdmissionReview request for `object`, as the API server sends it. */
export function admissionReview(
  object: { apiVersion?: string; kind: string; metadata?: { name?: string; namespace?: string } },
  options: { apiVersion?: string; operation?: string; oldObject?: unknown; dryRun?: boolean; uid?: string; namespace?: string } = {},
) {
  const [group, version] = (object.apiVersion ?? "v1").includes("/")
    ? (object.apiVersion ?? "").split("/")
    : ["", object.apiVersion ?? "v1"];
  const operation = options.operation ?? "CREATE";
  return {
    apiVersion: options.apiVersion ?? "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: options.uid ?? "705ab4f5-6393-11e8-b7cc-42010a800002",
      kind: { group, version, kind: object.kind },
      resource: { group, version, resource: `${object.kind.toLowerCase()}s` },
      namespace: options.namespace ?? object.metadata?.namespace ?? "default",
      name: object.metadata?.name ?? "",
      operation,
      userInfo: { username: "admin", groups: ["system:authenticated"] },
      object: operation === "DELETE" ? null : object,
      oldObject: operation === "DELETE" ? (options.oldObject ?? object) : (options.oldObject ?? null),
      dryRun: options.dryRun ?? false,
    },
  };
}
