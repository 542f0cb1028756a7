import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { parseAdmissionReview } from "../admission/decode.js";
import { review, subjectOf } from "../admission/review.js";
import type { ReviewEnv, Verdict } from "../admission/review.js";
import { internalErrorVerdict, toAdmissionReview } from "../admission/response.js";
import type { AdmissionRequest } from "../admission/types.js";
import type { CatalogSource } from "../catalog/types.js";
import { isParsed } from "../kuma/parse-result.js";
import { referencedPatchNames } from "../kuma/patch-simulation.js";
import type { Logger } from "../logger.js";
import type { Decision, Metrics, RejectReason } from "../metrics.js";
import type { Policy } from "../policy/types.js";
import { createSnapshotSource } from "../snapshot.js";
import type { NamespaceLabels } from "../snapshot.js";
import type { ControlPlaneFacts } from "../kuma/environment.js";
import { jsonDeeperThan, MAX_NESTING_DEPTH } from "../limits.js";
import { createBodyBudget, readBody } from "./body.js";

/** What the server reads on each request; swapped atomically on policy reload. */
export interface AppState {
  policy: Policy;
  catalog: CatalogSource;
  /** --kube: which workloads reference which ContainerPatches (patch-in-use). */
  references?: ReviewEnv["references"];
  /** --kube: namespaces' injection labels, so workloads are judged as Kuma's injector treats them. */
  namespaceLabels?: NamespaceLabels;
}

export interface AppDeps {
  logger: Logger;
  metrics: Metrics;
  state: () => AppState;
  /** The Kuma judged against (--kuma-version, --kuma-config); 2.14 with Helm's defaults without. */
  controlPlane?: ControlPlaneFacts;
  /** Largest accepted body. Default 7 MiB: the API server's 3 MiB object limit, base64-free, in both object and oldObject, with headroom. */
  maxBody: number;
  /** False while starting (policy or catalog not ready) or draining on SIGTERM. */
  isReady: () => boolean;
  /** Body bytes held at once across all requests; default `bodyBudgetFor(maxBody)`. */
  bodyBudget?: number;
}

export { DEFAULT_MAX_BODY } from "../limits.js";

/**
 * Body bytes held at once: two of the largest bodies, so a client trickling one cannot hold
 * back a real one (the oldest body may also exceed it: body.ts). 14 MiB with the default
 * --max-body: ~14 concurrent 1 MiB reviews, a few MiB of Buffers against a 256 MiB limit;
 * what a body becomes (string, parsed object) exists only while it is reviewed.
 */
export function bodyBudgetFor(maxBody: number): number {
  return 2 * maxBody;
}

/** Which endpoints a listener serves: the webhook port, the metrics port, or one port for both. */
export type Endpoints = "webhook" | "metrics" | "all";

const METHODS: Readonly<Record<Endpoints, Readonly<Record<string, string>>>> = {
  all: { "/validate": "POST", "/healthz": "GET", "/readyz": "GET", "/metrics": "GET" },
  webhook: { "/validate": "POST", "/healthz": "GET", "/readyz": "GET" },
  metrics: { "/metrics": "GET", "/healthz": "GET", "/readyz": "GET" },
};

/**
 * The HTTP layer, shaped like controller-runtime's webhook ServeHTTP: read the body (size
 * cap, byte budget), decode, `review`, write. All decisions live in admission/ and kuma/.
 *
 * Plain node:http for every route, not express: four routes need no router, body-parser
 * would need the same byte accounting around it, and in `npm run bench -- --quick` (runs
 * alternated, 2026-12-06, on a heavily shared machine) the server spent 180–731 µs of CPU
 * a request with node:http against 548–2,048 µs with express on every route, in every
 * scenario pair, with 2–3 MB less idle RSS. Bodies with a Content-Encoding are inflated
 * in body.ts, as body-parser did. No buffer pool: on Node 24 the 1 MiB scenario peaked at
 * 128–131 MB without it, 130–134 MB with it.
 */
export function createApp(deps: AppDeps, endpoints: Endpoints = "all"): RequestListener {
  const { logger, metrics } = deps;
  const controlPlane = deps.controlPlane ?? {};
  const snapshotOf = createSnapshotSource(() => controlPlane);
  const methods = METHODS[endpoints];
  const served = Object.entries(methods)
    .map(([path, method]) => `${method} ${path}`)
    .join(", ");
  const budget = createBodyBudget(deps.bodyBudget ?? bodyBudgetFor(deps.maxBody));

  const onRuleTimed = (rule: string, seconds: number) => metrics.ruleDuration.observe({ rule }, seconds);

  const reject = (req: IncomingMessage, res: ServerResponse, status: number, reason: RejectReason | undefined, message: string) => {
    if (reason) metrics.rejectedRequests.inc({ reason });
    // Reason and path only: the error text may quote the body, which is never logged.
    logger.debug({ status, reason, method: req.method, path: pathOf(req) }, "request rejected");
    sendJson(res, status, { error: message });
  };

  /** The verdict on one decoded request. With --kube, patches the watch has not delivered yet are fetched first. */
  const decide = async (request: AdmissionRequest): Promise<Verdict> => {
    const state = deps.state();
    const subject = subjectOf(request);
    const namespaces = state.policy.settings.controlPlaneNamespaces;
    const catalog = state.catalog.view(namespaces);
    if (subject?.target === "workload" && request.operation !== "DELETE" && catalog.configured) {
      // A patch and its first user are often applied together: fetch what the cache lacks, once.
      // `some` stops at the first gap; resolve() sorts out which names (a bounded few) to ask for.
      const { names } = referencedPatchNames(subject, state.policy.settings);
      if (names.some((name) => catalog.get(name) === undefined)) await state.catalog.resolve(namespaces, names);
    }
    // Taken after the lookups: the patches they found are in the catalog's new generation.
    return review(
      request,
      { snapshot: snapshotOf(state.policy, state.catalog, state.namespaceLabels), onRuleTimed, references: state.references },
      subject,
    );
  };

  /** Answers one AdmissionReview body, decoded as UTF-8 ("" when the request had none). */
  const validate = async (req: IncomingMessage, res: ServerResponse, text: string) => {
    const deep = jsonDeeperThan(text);
    if (deep !== undefined)
      return reject(
        req,
        res,
        400,
        "malformed",
        `body nests deeper than ${MAX_NESTING_DEPTH} levels (at position ${deep}): no Kubernetes object does`,
      );
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return reject(req, res, 400, "malformed", `body is not JSON: ${(error as Error).message}`);
    }
    const decoded = parseAdmissionReview(json);
    if (!isParsed(decoded)) return reject(req, res, 400, "malformed", `body is not an AdmissionReview: ${decoded.error}`);
    const { apiVersion, request } = decoded.value;

    const started = performance.now();
    let verdict: Verdict;
    try {
      verdict = await decide(request);
    } catch (error) {
      // A bug of ours, not the client's: the API server still gets an answer for its uid.
      logger.error(
        { uid: request.uid, kind: request.kind.kind, namespace: request.namespace, name: request.name, err: error },
        "internal error while reviewing: answered per onError",
      );
      verdict = internalErrorVerdict(error, onErrorOf(deps));
    }
    sendJson(res, 200, toAdmissionReview(apiVersion, request.uid, verdict));
    record(deps, request, verdict, (performance.now() - started) / 1000);
  };

  /** Last resort for what escapes `validate` (a bug in writing or recording an answer): never a crash. */
  const unexpected = (res: ServerResponse, error: unknown) => {
    logger.error({ err: error }, "unexpected error in the HTTP layer");
    if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
  };

  return (req, res) => {
    const path = pathOf(req);
    const method = methods[path];
    if (method === undefined) return reject(req, res, 404, undefined, `no endpoint ${path}: this port serves ${served}`);
    if (req.method !== method && !(method === "GET" && req.method === "HEAD")) {
      // Wrong method on a known path: 405 with Allow, before any body is read.
      res.setHeader("Allow", method);
      return reject(req, res, 405, "method", `${req.method} is not allowed on ${path}: use ${method}`);
    }
    switch (path) {
      case "/validate":
        return readBody(req, deps.maxBody, budget, (outcome) => {
          if ("error" in outcome) {
            return reject(
              req,
              res,
              outcome.error.status,
              outcome.error.status === 413 ? "body_too_large" : "malformed",
              outcome.error.message,
            );
          }
          validate(req, res, outcome.text)
            .catch((error: unknown) => unexpected(res, error))
            .finally(outcome.release);
        });
      case "/healthz":
        return sendJson(res, 200, { status: "ok" });
      case "/readyz": {
        const ready = deps.isReady();
        return sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready" });
      }
      case "/metrics":
        return void metrics.registry.metrics().then(
          (text) => {
            res.setHeader("Content-Type", metrics.registry.contentType);
            res.end(text);
          },
          (error: unknown) => unexpected(res, error),
        );
    }
  };
}

/** The policy's onError, or "allow" when even the policy cannot be read (the webhook's failurePolicy then decides nothing more). */
function onErrorOf(deps: AppDeps): Policy["onError"] {
  try {
    return deps.state().policy.onError;
  } catch {
    return "allow";
  }
}

/** The path of a request, without its query (the API server calls /validate?timeout=10s). */
function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

/** Compact JSON, UTF-8, with Content-Length: headers and body leave in one write. */
function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(body);
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
  const silent = verdict.denials.length + verdict.warnings.length + verdict.audits.length + verdict.failures.length === 0;
  // Allowed without a word, the bulk of traffic, is logged at debug: build nothing unless that is on.
  if (silent && !logger.isLevelEnabled("debug")) return;
  const decided = [
    ...verdict.denials.map((finding) => ({ finding, action: "deny" })),
    ...verdict.warnings.map((finding) => ({ finding, action: "warn" })),
    ...verdict.audits.map((finding) => ({ finding, action: "audit" })),
  ];
  for (const { finding, action } of decided) metrics.ruleFindings.inc({ rule: finding.ruleId, action });

  const subject = {
    uid: request.uid,
    kind: request.kind.kind,
    namespace: request.namespace,
    name: request.name,
    operation: request.operation,
  };
  for (const failure of verdict.failures) logger.error({ ...subject, rule: failure.ruleId, err: failure.error }, "rule failed");

  const withMessages = logger.isLevelEnabled("debug");
  const findings = [
    ...decided.map(({ finding, action }) => ({
      rule: finding.ruleId,
      code: finding.code,
      action,
      ...(finding.path !== undefined ? { path: finding.path } : {}),
      ...(withMessages ? { message: finding.message } : {}),
    })),
    ...verdict.failures.map((failure) => ({ rule: failure.ruleId, action: "error" })),
  ];
  const entry = { ...subject, dryRun: request.dryRun, decision, findings, durationMs: Math.round(seconds * 1e6) / 1e3 };
  // Allowed without a word: debug. Denied, warned, audited or failed: info.
  if (silent) logger.debug(entry, "admission");
  else logger.info(entry, "admission");
}
