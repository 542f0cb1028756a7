import express from "express";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { NextFunction, Request, Response } from "express";
import { performance } from "node:perf_hooks";
import { parseAdmissionReview } from "../admission/decode.js";
import { review, subjectOf } from "../admission/review.js";
import type { Verdict } from "../admission/review.js";
import { toAdmissionReview } from "../admission/response.js";
import type { AdmissionRequest } from "../admission/types.js";
import type { CatalogSource } from "../catalog/types.js";
import { isParsed } from "../kuma/parse-result.js";
import { annotationPatchNames } from "../kuma/patch-simulation.js";
import type { Logger } from "../logger.js";
import type { Decision, Metrics, RejectReason } from "../metrics.js";
import type { Policy } from "../policy/types.js";
import type { CatalogView, WorkloadSubject } from "../rules/types.js";

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

export { DEFAULT_MAX_BODY } from "../limits.js";

const ENDPOINTS: Readonly<Record<string, string>> = {
  "/validate": "POST",
  "/healthz": "GET",
  "/readyz": "GET",
  "/metrics": "GET",
};

/**
 * Bodies at least this large pass through a byte budget before they are read: 20 parallel
 * 1 MiB reviews would otherwise hold ~20 × 5 MiB (buffer, string, parsed object) at once.
 * Kubernetes objects are usually a few KiB, so normal traffic never waits.
 */
const LARGE_BODY = 64 * 1024;
/** Large-body bytes read and reviewed at once; one body is always admitted, whatever its size. */
const LARGE_BODY_BUDGET = 2 * 1024 * 1024;

/**
 * The HTTP layer: decodes, asks `review`, answers. All decisions live in admission/.
 * POST /validate, the hot path, is served by a plain request listener in front of express
 * (express's router, body-parser and res.json cost more than the review itself; see
 * docs/performance.md); every other request, and /validate bodies with a Content-Encoding
 * (body-parser inflates them), go through express.
 */
export function createApp(deps: AppDeps): RequestListener {
  const { logger, metrics } = deps;
  const largeBodies = createByteBudget(LARGE_BODY_BUDGET);
  const largeBuffers = createBufferPool(LARGE_BODY_BUDGET);

  const onRuleTimed = (rule: string, seconds: number) => metrics.ruleDuration.observe({ rule }, seconds);

  const reject = (req: IncomingMessage, res: ServerResponse, status: number, reason: RejectReason | undefined, message: string) => {
    if (reason) metrics.rejectedRequests.inc({ reason });
    // Reason and path only: the error text may quote the body, which is never logged.
    logger.debug({ status, reason, method: req.method, path: pathOf(req) }, "request rejected");
    sendJson(res, status, { error: message });
  };

  /** Answers one AdmissionReview body, decoded as UTF-8 ("" when the request had none). */
  const validate = async (req: IncomingMessage, res: ServerResponse, text: string) => {
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
    const state = deps.state();
    const subject = subjectOf(request);
    const catalog = state.catalog.view(state.policy.settings.controlPlaneNamespaces);
    const missing = subject?.target === "workload" && request.operation !== "DELETE" ? missingPatches(subject, catalog, state.policy) : undefined;
    if (missing) await state.catalog.resolve(state.policy.settings.controlPlaneNamespaces, missing);
    const verdict = review(request, { policy: state.policy, catalog, onRuleTimed }, subject);
    sendJson(res, 200, toAdmissionReview(apiVersion, request.uid, verdict));
    record(deps, request, verdict, (performance.now() - started) / 1000);
  };

  const internalError = (res: ServerResponse, error: unknown) => {
    logger.error({ err: error }, "unexpected error in the HTTP layer");
    if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
  };

  const validateFast = (req: IncomingMessage, res: ServerResponse) => {
    const declared = declaredLength(req);
    const reserved = declared === undefined || declared >= LARGE_BODY ? Math.min(declared ?? deps.maxBody, deps.maxBody) : 0;
    largeBodies.acquire(reserved, () => {
      const scratch = reserved > 0 && declared !== undefined && declared <= deps.maxBody ? largeBuffers.take(declared) : undefined;
      readBody(req, deps.maxBody, declared, scratch, (outcome) => {
        if (scratch) largeBuffers.give(scratch); // the body is decoded: its buffer is free before the review
        const done = () => largeBodies.release(reserved);
        if ("text" in outcome) return void validate(req, res, outcome.text).catch((error: unknown) => internalError(res, error)).finally(done);
        done();
        if (outcome.error === "too_large") reject(req, res, 413, "body_too_large", `body exceeds ${deps.maxBody} bytes (--max-body)`);
        else reject(req, res, 400, "malformed", "unreadable body: request aborted");
      });
    });
  };

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  // Wrong method on a known path: 405 with Allow, before any body is read.
  app.use((req, res, next) => {
    const allowed = ENDPOINTS[req.path];
    if (allowed === undefined || req.method === allowed || (allowed === "GET" && req.method === "HEAD")) return next();
    res.setHeader("Allow", allowed);
    reject(req, res, 405, "method", `${req.method} is not allowed on ${req.path}: use ${allowed}`);
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

  app.post("/validate", express.raw({ type: () => true, limit: deps.maxBody }), (req, res) =>
    validate(req, res, Buffer.isBuffer(req.body) ? req.body.toString("utf8") : ""),
  );

  app.use((req, res) => reject(req, res, 404, undefined, `no endpoint ${req.path}: kuma-guard serves POST /validate, GET /healthz, /readyz, /metrics`));

  // Body-parser errors: too large → 413, anything else unreadable → 400. Never a 5xx for bad input.
  app.use((error: { type?: string; status?: number; message?: string }, req: Request, res: Response, _next: NextFunction) => {
    if (error.type === "entity.too.large") {
      return reject(req, res, 413, "body_too_large", `body exceeds ${deps.maxBody} bytes (--max-body)`);
    }
    if (error.status !== undefined && error.status >= 400 && error.status < 500) {
      return reject(req, res, 400, "malformed", `unreadable body: ${error.message ?? "bad request"}`);
    }
    internalError(res, error);
  });

  return (req, res) => {
    const encoding = req.headers["content-encoding"];
    if (req.method === "POST" && pathOf(req) === "/validate" && (encoding === undefined || encoding.toLowerCase() === "identity")) {
      validateFast(req, res);
    } else {
      app(req, res);
    }
  };
}

/** The path of a request, without its query (the API server calls /validate?timeout=10s). */
function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

/** What express's res.json sends: compact JSON, UTF-8, with Content-Length. Headers and body leave in one write. */
function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(body);
}

function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers["content-length"];
  if (header === undefined) return undefined;
  const length = Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

type BodyOutcome = { text: string } | { error: "too_large" | "aborted" };

/**
 * Reads a request body, as body-parser's raw() would with the same limit, and decodes it as
 * UTF-8. The bytes go into one buffer preallocated from Content-Length (`into` when given, at
 * least `declared` bytes long), or are collected and concatenated once for chunked bodies.
 * Over the limit (declared or counted) the rest is still read off, so the 413 goes out on a
 * connection that stays usable; a body that never arrives is `aborted`. No body: "".
 */
export function readBody(req: IncomingMessage, limit: number, declared: number | undefined, into: Buffer | undefined, done: (outcome: BodyOutcome) => void): void {
  let tooLarge = declared !== undefined && declared > limit;
  let buffer = declared === undefined || tooLarge ? undefined : (into ?? Buffer.allocUnsafe(declared));
  let chunks: Buffer[] = [];
  let received = 0;
  const settle = (outcome: BodyOutcome) => {
    req.off("data", onData);
    req.off("end", onEnd);
    req.off("aborted", onAborted);
    req.off("error", onAborted);
    done(outcome);
  };
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (tooLarge) return;
    if (received > limit || (buffer !== undefined && received > buffer.length)) {
      tooLarge = true;
      buffer = undefined;
      chunks = [];
    } else if (buffer !== undefined) {
      chunk.copy(buffer, received - chunk.length);
    } else {
      chunks.push(chunk);
    }
  };
  const onEnd = () => {
    if (tooLarge) return settle({ error: "too_large" });
    settle({ text: (buffer === undefined ? Buffer.concat(chunks, received) : buffer.subarray(0, received)).toString("utf8") });
  };
  const onAborted = () => settle({ error: "aborted" });
  // A large body may have waited for the budget while its client gave up.
  if (req.destroyed) return onAborted();
  req.on("data", onData);
  req.on("end", onEnd);
  req.on("aborted", onAborted);
  req.on("error", onAborted);
}

/**
 * Buffers for large bodies, reused from one body to the next. On Node 24 a body that is
 * decoded lives on as an external string until the next mark-compact; a fresh 1 MiB buffer
 * per body doubled that garbage and the malloc heap it grows (docs/performance.md). Holds
 * at most `capacity` bytes (the large-body budget, so what is in flight at once); on
 * overflow the smallest buffers are dropped, as the next large body is likely as large.
 */
function createBufferPool(capacity: number) {
  const free: Buffer[] = [];
  let pooled = 0;
  return {
    /** A buffer of at least `size` bytes, owned by the caller until `give`. */
    take(size: number): Buffer {
      const fit = free.findIndex((buffer) => buffer.length >= size);
      if (fit === -1) return Buffer.allocUnsafeSlow(size);
      const [buffer] = free.splice(fit, 1);
      pooled -= buffer!.length;
      return buffer!;
    },
    give(buffer: Buffer): void {
      free.push(buffer);
      pooled += buffer.length;
      free.sort((a, b) => b.length - a.length);
      while (pooled > capacity) pooled -= free.pop()!.length;
    },
  };
}

/**
 * A FIFO byte budget: `acquire(n, run)` runs `run` once `n` bytes fit (at once when nothing
 * is held, so any single body proceeds); `release(n)` returns them. `n = 0` never waits.
 */
function createByteBudget(capacity: number) {
  let held = 0;
  const waiting: { bytes: number; run: () => void }[] = [];
  const admit = () => {
    while (waiting.length > 0 && (held === 0 || held + waiting[0]!.bytes <= capacity)) {
      const next = waiting.shift()!;
      held += next.bytes;
      next.run();
    }
  };
  return {
    acquire(bytes: number, run: () => void): void {
      if (bytes === 0) return run();
      waiting.push({ bytes, run });
      admit();
    },
    release(bytes: number): void {
      if (bytes === 0) return;
      held -= bytes;
      admit();
    },
  };
}

/**
 * With --kube, a patch and its first user are often applied together: the watch may not
 * have delivered the patch yet. The names a workload needs that the cached view lacks are
 * fetched live once; undefined when none is missing (the hot path: nothing allocated).
 */
function missingPatches(subject: WorkloadSubject, view: CatalogView, policy: Policy): string[] | undefined {
  if (!view.configured) return undefined;
  let missing: string[] | undefined;
  const defaults = policy.settings.defaultContainerPatches;
  for (let i = 0; i < defaults.length; i++) {
    const name = defaults[i]!.trim();
    if (name !== "" && view.get(name) === undefined) (missing ??= []).push(name);
  }
  const named = annotationPatchNames(subject.template.annotations);
  for (let i = 0; i < named.length; i++) if (view.get(named[i]!) === undefined) (missing ??= []).push(named[i]!);
  return missing;
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
  // Allowed without a word: debug. Denied, warned, audited or failed: info.
  if (silent) logger.debug(entry, "admission");
  else logger.info(entry, "admission");
}
