import express from "express";
import type { NextFunction, Request, Response } from "express";
import { performance } from "node:perf_hooks";
import { parseAdmissionReview } from "../admission/decode.js";
import { review } from "../admission/review.js";
import type { Verdict } from "../admission/review.js";
import { toAdmissionReview } from "../admission/response.js";
import { toSubject, routeOf } from "../admission/subjects.js";
import type { AdmissionRequest } from "../admission/types.js";
import type { CatalogSource } from "../catalog/types.js";
import { isParsed } from "../kuma/parse-result.js";
import type { Logger } from "../logger.js";
import type { Decision, Metrics, RejectReason } from "../metrics.js";
import type { Policy } from "../policy/types.js";

/** What the server reads on each request; swapped atomically on policy reload. */
export interface AppState {
  policy: Policy;
  catalog: CatalogSource;
}

export interface AppDeps {
  logger: Logger;
  metrics: Metrics;
  state: () => AppState;
  /** Largest accepted body. Default 7 MiB: the API server's 3 MiB object limit, base64-free, in both object and oldObject, with headroom. */
  maxBody: number;
  /** False while starting (policy or catalog not ready) or draining on SIGTERM. */
  isReady: () => boolean;
}

/** 7 MiB, as controller-runtime: an UPDATE carries object and oldObject, each up to etcd's ~3 MiB. */
export const DEFAULT_MAX_BODY = 7 * 1024 * 1024;

const ENDPOINTS: Readonly<Record<string, string>> = {
  "/validate": "POST",
  "/healthz": "GET",
  "/readyz": "GET",
  "/metrics": "GET",
};

/** The HTTP layer: decodes, asks `review`, answers. All decisions live in admission/. */
export function createApp(deps: AppDeps): express.Express {
  const { logger, metrics } = deps;
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  const reject = (res: Response, status: number, reason: RejectReason | undefined, message: string) => {
    if (reason) metrics.rejectedRequests.inc({ reason });
    // Reason and path only: the error text may quote the body, which is never logged.
    logger.debug({ status, reason, method: res.req.method, path: res.req.path }, "request rejected");
    res.status(status).json({ error: message });
  };

  // Wrong method on a known path: 405 with Allow, before any body is read.
  app.use((req, res, next) => {
    const allowed = ENDPOINTS[req.path];
    if (allowed === undefined || req.method === allowed || (allowed === "GET" && req.method === "HEAD")) return next();
    res.setHeader("Allow", allowed);
    reject(res, 405, "method", `${req.method} is not allowed on ${req.path}: use ${allowed}`);
  });

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", (_req, res) => {
    const ready = deps.isReady();
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "not ready" });
  });
  app.get("/metrics", async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.post("/validate", express.raw({ type: () => true, limit: deps.maxBody }), async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body.toString("utf8") : "";
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (error) {
      return reject(res, 400, "malformed", `body is not JSON: ${(error as Error).message}`);
    }
    const decoded = parseAdmissionReview(json);
    if (!isParsed(decoded)) return reject(res, 400, "malformed", `body is not an AdmissionReview: ${decoded.error}`);
    const { apiVersion, request } = decoded.value;

    const started = performance.now();
    const state = deps.state();
    await resolveMissingPatches(request, state);
    const verdict = review(request, {
      policy: state.policy,
      catalog: state.catalog.view(state.policy.settings.controlPlaneNamespaces),
      onRuleTimed: (rule, seconds) => metrics.ruleDuration.observe({ rule }, seconds),
    });
    res.json(toAdmissionReview(apiVersion, request.uid, verdict));
    record(deps, request, verdict, (performance.now() - started) / 1000);
  });

  app.use((req, res) => reject(res, 404, undefined, `no endpoint ${req.path}: kuma-guard serves POST /validate, GET /healthz, /readyz, /metrics`));

  // Body-parser errors: too large → 413, anything else unreadable → 400. Never a 5xx for bad input.
  app.use((error: { type?: string; status?: number; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (error.type === "entity.too.large") {
      return reject(res, 413, "body_too_large", `body exceeds ${deps.maxBody} bytes (--max-body)`);
    }
    if (error.status !== undefined && error.status >= 400 && error.status < 500) {
      return reject(res, 400, "malformed", `unreadable body: ${error.message ?? "bad request"}`);
    }
    logger.error({ err: error }, "unexpected error in the HTTP layer");
    res.status(500).json({ error: "internal error" });
  });
  return app;
}

/**
 * With --kube, a patch and its first user are often applied together: the watch may not
 * have delivered the patch yet. Names the cached view lacks are fetched live once.
 */
async function resolveMissingPatches(request: AdmissionRequest, state: AppState): Promise<void> {
  const kind = routeOf(request.kind.group, request.kind.kind);
  if (!kind || kind === "ContainerPatch" || kind === "Namespace" || request.operation === "DELETE") return;
  const subject = toSubject(kind, request.object, request.namespace);
  if (subject?.target !== "workload") return;
  const { settings } = state.policy;
  const view = state.catalog.view(settings.controlPlaneNamespaces);
  if (!view.configured) return;
  const annotated = (subject.template.annotations["kuma.io/container-patches"] ?? "").split(",");
  const missing = [...settings.defaultContainerPatches, ...annotated]
    .map((name) => name.trim())
    .filter((name) => name !== "" && view.get(name) === undefined);
  if (missing.length > 0) await state.catalog.resolve(settings.controlPlaneNamespaces, missing);
}

/**
 * Counts the decision and writes its one log line. The line names rules, actions and field
 * paths, never values from the object: finding messages quote annotation values (which may
 * hold credentials, e.g. kuma.io/sidecar-env-vars), so they are logged only at debug level.
 */
function record(deps: AppDeps, request: AdmissionRequest, verdict: Verdict, seconds: number): void {
  const { metrics, logger } = deps;
  const kind = verdict.kind ?? "other";
  const decision: Decision = verdict.failures.length > 0 ? "error" : verdict.allowed ? "allowed" : "denied";
  metrics.admissionRequests.inc({ kind, operation: request.operation, decision, dry_run: String(request.dryRun) });
  metrics.admissionDuration.observe({ kind, operation: request.operation }, seconds);
  const decided = [
    ...verdict.denials.map((finding) => ({ finding, action: "deny" })),
    ...verdict.warnings.map((finding) => ({ finding, action: "warn" })),
    ...verdict.audits.map((finding) => ({ finding, action: "audit" })),
  ];
  for (const { finding, action } of decided) metrics.ruleFindings.inc({ rule: finding.ruleId, action });

  const subject = { uid: request.uid, kind: request.kind.kind, namespace: request.namespace, name: request.name, operation: request.operation };
  for (const failure of verdict.failures) logger.error({ ...subject, rule: failure.ruleId, err: failure.error }, "rule failed");

  const withMessages = logger.isLevelEnabled("debug");
  const findings = [
    ...decided.map(({ finding, action }) => ({
      rule: finding.ruleId,
      action,
      ...(finding.path !== undefined ? { path: finding.path } : {}),
      ...(withMessages ? { message: finding.message } : {}),
    })),
    ...verdict.failures.map((failure) => ({ rule: failure.ruleId, action: "error" })),
  ];
  const entry = { ...subject, dryRun: request.dryRun, decision, findings, durationMs: Math.round(seconds * 1e6) / 1e3 };
  // Allowed without a word: debug (the bulk of traffic). Denied, warned, audited or failed: info.
  if (findings.length === 0) logger.debug(entry, "admission");
  else logger.info(entry, "admission");
}
