import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

// Every metric kuma-guard exports, in one place. Label values are bounded: routed kinds
// (else "other"), operations, decisions, reasons and rule ids from the policy — never
// object names, workload namespaces or uids.

/** Admission latency from 0.5 ms (a cached verdict) to 10 s (beyond any webhook timeout, 30 s max). */
export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** A rule runs in microseconds; the low end shows a regression long before it reaches admission latency. */
export const RULE_DURATION_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.1, 1, 10];

export type Decision = "allowed" | "denied" | "error";
export type RejectReason = "body_too_large" | "malformed" | "method";

/** What the catalog and TLS gauges read at scrape time. */
export interface MetricsProbes {
  catalog?: () => { synced: boolean; countsByNamespace: Record<string, number> };
  /** Expiry of the serving certificate, Unix seconds; undefined without TLS. */
  certificateExpiry?: () => number | undefined;
}

export interface Metrics {
  registry: Registry;
  admissionRequests: Counter<"kind" | "operation" | "decision" | "dry_run">;
  admissionDuration: Histogram<"kind" | "operation">;
  ruleFindings: Counter<"rule" | "action">;
  ruleDuration: Histogram<"rule">;
  rejectedRequests: Counter<"reason">;
  policyReloads: Counter<"result">;
}

export function createMetrics(probes: MetricsProbes = {}, registry = new Registry()): Metrics {
  collectDefaultMetrics({ register: registry });
  const prefix = "kuma_guard_";
  const metrics: Metrics = {
    registry,
    admissionRequests: new Counter({
      name: `${prefix}admission_requests_total`,
      help: "Admission requests answered, by routed kind (or other), operation, decision and dry run.",
      labelNames: ["kind", "operation", "decision", "dry_run"],
      registers: [registry],
    }),
    admissionDuration: new Histogram({
      name: `${prefix}admission_duration_seconds`,
      help: "Time from a decoded AdmissionReview to its answer, by routed kind and operation.",
      labelNames: ["kind", "operation"],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    ruleFindings: new Counter({
      name: `${prefix}rule_findings_total`,
      help: "Findings by rule id and the action the policy gave them (deny, warn, audit).",
      labelNames: ["rule", "action"],
      registers: [registry],
    }),
    ruleDuration: new Histogram({
      name: `${prefix}rule_duration_seconds`,
      help: "Time one rule took on one object.",
      labelNames: ["rule"],
      buckets: RULE_DURATION_BUCKETS,
      registers: [registry],
    }),
    rejectedRequests: new Counter({
      name: `${prefix}rejected_requests_total`,
      help: "Requests refused before review: body_too_large, malformed, method.",
      labelNames: ["reason"],
      registers: [registry],
    }),
    policyReloads: new Counter({
      name: `${prefix}policy_reloads_total`,
      help: "Policy reloads after a change of the file, by result (a failure keeps the last good policy).",
      labelNames: ["result"],
      registers: [registry],
    }),
  };
  new Gauge({
    name: `${prefix}container_patches`,
    help: "ContainerPatches held in the catalog, by namespace.",
    labelNames: ["namespace"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [namespace, count] of Object.entries(probes.catalog?.().countsByNamespace ?? {})) this.set({ namespace }, count);
    },
  });
  new Gauge({
    name: `${prefix}catalog_synced`,
    help: "1 when the ContainerPatch catalog has loaded or synced at least once.",
    registers: [registry],
    collect() {
      this.set(probes.catalog?.().synced === false ? 0 : 1);
    },
  });
  new Gauge({
    name: `${prefix}tls_certificate_expiry_timestamp_seconds`,
    help: "notAfter of the serving certificate in use, as a Unix timestamp.",
    registers: [registry],
    collect() {
      const expiry = probes.certificateExpiry?.();
      if (expiry === undefined) this.reset();
      else this.set(expiry);
    },
  });
  return metrics;
}
