// What `serve --kube` runs beside admission: the references index (for patch-in-use) and, with
// --audit-interval, the audit on a schedule — one at a time, within a time bound, only on the
// replica that holds the Lease — with its metrics, GET /audit and (--policy-reports) PolicyReports.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { Registry } from "prom-client";
import type { Logger } from "../logger.js";
import { createAuditMetrics } from "../metrics.js";
import type { AuditMetrics } from "../metrics.js";
import type { Policy } from "../policy/types.js";
import type { ControlPlaneFacts } from "../kuma/environment.js";
import { summarize } from "../report/model.js";
import type { ReportObject, Summary } from "../report/model.js";
import type { KubeHttp } from "./kube-http.js";
import { startLeaderElection } from "./lease.js";
import type { LeaderElector } from "./lease.js";
import { createReferencesIndex } from "./references.js";
import type { ReferencesIndex } from "./references.js";
import { runAudit } from "./run.js";
import type { AuditResult } from "./run.js";

export interface AuditServicesOptions {
  http: KubeHttp;
  logger: Logger;
  policy: () => Policy;
  /** The Kuma judged against (--kuma-version, --kuma-config), as for admission. */
  controlPlane?: ControlPlaneFacts;
  version: string;
  registry: Registry;
  /** --audit-interval in ms; undefined: no background audit (the references index still runs). */
  intervalMs?: number;
  /** Longest one audit may take (default: the interval, at most 30 min). */
  timeoutMs?: number;
  /** Delay before the first audit (default 30 s: let the references index and the catalog sync first). */
  firstRunDelayMs?: number;
  /** Writes the results as PolicyReports after each audit (--policy-reports). */
  writeReports?: (result: AuditResult) => Promise<void>;
  /** The Lease: default kuma-guard-audit in the pod's namespace, identity pod name + random suffix. */
  lease?: {
    namespace?: string;
    name?: string;
    identity?: string;
    leaseDurationSeconds?: number;
    renewDeadlineSeconds?: number;
    retryPeriodSeconds?: number;
  };
  /** Objects with findings kept per audit (memory bound; the rest are counted). Default 2,000. */
  maxReportedObjects?: number;
  referencesBackoff?: { initialMs?: number; maxMs?: number };
}

/** GET /audit's body. */
export interface AuditStatus {
  leader: boolean;
  running: boolean;
  lastRun: AuditRun | null;
}

export interface AuditRun {
  result: "success" | "error" | "timeout";
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  error?: string;
  judged?: Record<string, number>;
  summary?: Summary;
  sharedPods?: number;
  unreported?: number;
  objects?: ReportObject[];
}

export interface AuditServices {
  references: ReferencesIndex;
  status(): AuditStatus;
  /** Runs one audit now unless one is running (tests, and the schedule). */
  runOnce(): Promise<AuditRun | undefined>;
  close(): Promise<void>;
}

const SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
const MAX_TIMEOUT_MS = 30 * 60_000;
const FAILURE_BACKOFF_MS = 30_000;
/** Smaller pages than the CLI's: parsing one blocks admission requests on the same event loop (~3 ms for 100 Pods). */
const BACKGROUND_PAGE_SIZE = 100;

export function startAuditServices(options: AuditServicesOptions): AuditServices {
  const { http, logger } = options;
  const references = createReferencesIndex({ http, logger, ...(options.referencesBackoff ? { backoff: options.referencesBackoff } : {}) });
  const closing = new AbortController();
  let metrics: AuditMetrics | undefined;
  let elector: LeaderElector | undefined;
  let running = false;
  let lastRun: AuditRun | null = null;

  const runOnce = async (): Promise<AuditRun | undefined> => {
    if (running || closing.signal.aborted) return undefined;
    running = true;
    const started = Date.now();
    const timeoutMs = Math.min(options.timeoutMs ?? options.intervalMs ?? MAX_TIMEOUT_MS, MAX_TIMEOUT_MS);
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([deadline, closing.signal]);
    let run: AuditRun;
    try {
      const result = await runAudit(http, options.policy(), options.version, {
        signal,
        maxReportedObjects: options.maxReportedObjects ?? 2000,
        pageSize: BACKGROUND_PAGE_SIZE,
        ...(options.controlPlane ? { controlPlane: options.controlPlane } : {}),
      });
      const finished = Date.now();
      run = {
        result: "success",
        startedAt: new Date(started).toISOString(),
        finishedAt: new Date(finished).toISOString(),
        durationSeconds: (finished - started) / 1000,
        judged: result.judged,
        summary: summarize(result.report),
        sharedPods: result.sharedPods,
        unreported: result.unreported,
        objects: result.report.objects,
      };
      if (metrics) {
        metrics.violations.reset();
        for (const v of result.violations) metrics.violations.set({ rule: v.ruleId, action: v.action }, v.count);
        metrics.lastRun.set(finished / 1000);
        metrics.duration.set(run.durationSeconds);
        metrics.objectsJudged.set(Object.values(result.judged).reduce((a, b) => a + b, 0));
        metrics.runs.inc({ result: "success" });
      }
      logger.info({ durationSeconds: run.durationSeconds, judged: result.judged, ...run.summary }, "audit finished");
      if (options.writeReports && !closing.signal.aborted) {
        try {
          await options.writeReports(result);
        } catch (e) {
          logger.warn({ err: e }, "audit: PolicyReports not written");
        }
      }
    } catch (e) {
      const finished = Date.now();
      const result = deadline.aborted ? "timeout" : "error";
      run = {
        result,
        startedAt: new Date(started).toISOString(),
        finishedAt: new Date(finished).toISOString(),
        durationSeconds: (finished - started) / 1000,
        error: deadline.aborted ? `did not finish within ${timeoutMs / 1000} s` : e instanceof Error ? e.message : String(e),
      };
      metrics?.runs.inc({ result });
      if (!closing.signal.aborted) logger.warn({ err: e, result }, "audit failed; retrying with backoff");
    } finally {
      running = false;
    }
    if (closing.signal.aborted) return undefined;
    lastRun = run;
    return run;
  };

  let schedule: Promise<void> = Promise.resolve();
  if (options.intervalMs !== undefined) {
    metrics = createAuditMetrics(options.registry);
    const lease = options.lease ?? {};
    elector = startLeaderElection({
      http,
      logger,
      namespace: lease.namespace ?? podNamespace(),
      name: lease.name ?? "kuma-guard-audit",
      identity: lease.identity ?? `${process.env["POD_NAME"] ?? hostname()}_${randomUUID()}`,
      ...(lease.leaseDurationSeconds ? { leaseDurationSeconds: lease.leaseDurationSeconds } : {}),
      ...(lease.renewDeadlineSeconds ? { renewDeadlineSeconds: lease.renewDeadlineSeconds } : {}),
      ...(lease.retryPeriodSeconds ? { retryPeriodSeconds: lease.retryPeriodSeconds } : {}),
      onChange: (leading) => metrics?.leader.set(leading ? 1 : 0),
    });
    const interval = options.intervalMs;
    const leader = elector;
    schedule = (async () => {
      let failures = 0;
      let lastEnd = 0;
      try {
        await sleep(options.firstRunDelayMs ?? 30_000, undefined, { signal: closing.signal, ref: false });
        while (!closing.signal.aborted) {
          const wait = failures > 0 ? Math.min(interval, FAILURE_BACKOFF_MS * 2 ** (failures - 1)) : interval;
          if (leader.isLeader() && (lastEnd === 0 || Date.now() - lastEnd >= wait)) {
            const run = await runOnce();
            lastEnd = Date.now();
            failures = run?.result === "success" ? 0 : failures + 1;
          }
          await sleep(1000, undefined, { signal: closing.signal, ref: false });
        }
      } catch {
        // closed while sleeping
      }
    })();
  }

  return {
    references,
    status: () => ({ leader: elector?.isLeader() ?? false, running, lastRun }),
    runOnce,
    async close() {
      closing.abort();
      await schedule;
      await Promise.all([references.close(), elector?.close()]);
    },
  };
}

/** The pod's namespace (downward API POD_NAMESPACE, else the service account's), else kuma-guard. */
function podNamespace(): string {
  if (process.env["POD_NAMESPACE"]) return process.env["POD_NAMESPACE"];
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE, "utf8").trim() || "kuma-guard";
  } catch {
    return "kuma-guard";
  }
}
