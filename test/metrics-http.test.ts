// /metrics after a scripted set of requests: it parses as Prometheus text format, and every
// counter and histogram count equals what was sent, per label set (issue 6).
import { test } from "node:test";
import assert from "node:assert/strict";
import request from "supertest";
import { admissionReview, createTestApp } from "./support/app.js";
import { ASK, ASKING_ACTIONS, askingPolicy } from "./support/policy.js";
import { DURATION_BUCKETS } from "../src/metrics.js";
import { ROUTED_KINDS } from "../src/admission/subjects.js";

// --- a small Prometheus text-format (0.0.4) parser --------------------------------------------

type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Family {
  name: string;
  type: MetricType;
  help: string | undefined;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES: ReadonlySet<string> = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/** Go's strconv.ParseFloat, which Prometheus uses: Inf and NaN in any case (prom-client writes `Nan`). */
function parseValue(text: string, line: string): number {
  if (/^\+?inf$/i.test(text)) return Infinity;
  if (/^-inf$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  const value = Number(text);
  assert.ok(text !== "" && !Number.isNaN(value), `not a sample value: ${JSON.stringify(text)} in ${line}`);
  return value;
}

/** `{a="x",b="y\"z"}` at the start of `text`: the labels and the rest of the line. */
function parseLabels(text: string, line: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let rest = text.slice(1);
  for (;;) {
    if (rest.startsWith("}")) return { labels, rest: rest.slice(1) };
    const name = LABEL_NAME.exec(rest)?.[0];
    assert.ok(name, `bad label name in ${line}`);
    assert.ok(!(name in labels), `duplicate label ${name} in ${line}`);
    rest = rest.slice(name.length);
    assert.ok(rest.startsWith('="'), `expected ="… after ${name} in ${line}`);
    rest = rest.slice(2);
    let value = "";
    for (;;) {
      const c = rest[0];
      assert.ok(c !== undefined, `unterminated label value in ${line}`);
      if (c === '"') break;
      if (c === "\\") {
        const escaped = rest[1];
        assert.ok(escaped === "\\" || escaped === '"' || escaped === "n", `bad escape in ${line}`);
        value += escaped === "n" ? "\n" : escaped;
        rest = rest.slice(2);
      } else {
        value += c;
        rest = rest.slice(1);
      }
    }
    labels[name] = value;
    rest = rest.slice(1);
    if (rest.startsWith(",")) rest = rest.slice(1);
    else assert.ok(rest.startsWith("}"), `expected , or } in ${line}`);
  }
}

/** The family a sample belongs to: itself, or a histogram/summary's base for its suffixed series. */
function familyOf(families: Map<string, Family>, name: string): Family | undefined {
  const own = families.get(name);
  if (own) return own;
  const suffix = /_(bucket|sum|count)$/.exec(name);
  if (!suffix) return undefined;
  const base = families.get(name.slice(0, -suffix[0].length));
  if (base?.type === "histogram") return base;
  if (base?.type === "summary" && suffix[1] !== "bucket") return base;
  return undefined;
}

/** Parses the text exposition format; throws (assert) on anything malformed. */
function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  assert.ok(text.endsWith("\n"), "the exposition ends with a newline");
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (meta) {
      const [, keyword, name = "", rest = ""] = meta;
      assert.match(name, /^[a-zA-Z_:][a-zA-Z0-9_:]*$/, `bad metric name in ${line}`);
      const family = families.get(name) ?? { name, type: "untyped" as MetricType, help: undefined, samples: [] };
      if (keyword === "TYPE") {
        assert.ok(TYPES.has(rest), `unknown type in ${line}`);
        assert.equal(family.samples.length, 0, `TYPE after samples: ${line}`);
        family.type = rest as MetricType;
      } else {
        assert.equal(family.help, undefined, `second HELP for ${name}`);
        family.help = rest;
      }
      families.set(name, family);
      continue;
    }
    if (line.startsWith("#")) continue;
    const name = NAME.exec(line)?.[0];
    assert.ok(name, `not a sample line: ${line}`);
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith("{")) ({ labels, rest } = parseLabels(rest, line));
    const fields = rest.trim().split(/\s+/);
    assert.ok(rest.startsWith(" ") && (fields.length === 1 || fields.length === 2), `expected " value [timestamp]" in ${line}`);
    const family = familyOf(families, name);
    assert.ok(family, `sample ${name} before a TYPE line of its family`);
    family.samples.push({ name, labels, value: parseValue(fields[0] ?? "", line) });
  }
  for (const family of families.values()) if (family.type === "histogram") checkHistogram(family);
  return families;
}

const keyOf = (labels: Record<string, string>): string =>
  JSON.stringify(Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b))));

/** Each series: ascending le ending in +Inf, cumulative counts, +Inf = _count, a _sum. */
function checkHistogram(family: Family): void {
  const series = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const entry = series.get(keyOf(rest)) ?? { buckets: [] };
    if (sample.name === `${family.name}_bucket`) {
      assert.ok(le !== undefined, `${sample.name} without le`);
      entry.buckets.push([parseValue(le, sample.name), sample.value]);
    } else if (sample.name === `${family.name}_sum`) entry.sum = sample.value;
    else if (sample.name === `${family.name}_count`) entry.count = sample.value;
    else assert.fail(`${sample.name} in histogram ${family.name}`);
    series.set(keyOf(rest), entry);
  }
  for (const [labels, { buckets, sum, count }] of series) {
    const where = `${family.name}${labels}`;
    assert.ok(buckets.length > 0 && sum !== undefined && count !== undefined, `${where}: _bucket, _sum and _count`);
    assert.equal(buckets.at(-1)?.[0], Infinity, `${where}: last bucket is +Inf`);
    assert.equal(buckets.at(-1)?.[1], count, `${where}: +Inf bucket = _count`);
    for (let i = 1; i < buckets.length; i++) {
      const [le, cumulative] = buckets[i]!;
      const [previousLe, previous] = buckets[i - 1]!;
      assert.ok(le > previousLe && cumulative >= previous, `${where}: buckets ascend and accumulate`);
    }
  }
}

/** Samples of one series name, by label set (key: sorted JSON of labels). */
function valuesOf(families: Map<string, Family>, name: string, drop: readonly string[] = []): Map<string, number> {
  const family = familyOf(families, name);
  assert.ok(family, `no metric ${name}`);
  const out = new Map<string, number>();
  for (const sample of family.samples) {
    if (sample.name !== name) continue;
    const labels = Object.fromEntries(Object.entries(sample.labels).filter(([label]) => !drop.includes(label)));
    out.set(keyOf(labels), sample.value);
  }
  return out;
}

class Tally {
  readonly counts = new Map<string, number>();
  add(labels: Record<string, string>, by = 1): void {
    const key = keyOf(labels);
    this.counts.set(key, (this.counts.get(key) ?? 0) + by);
  }
}

test("the parser rejects what Prometheus would", () => {
  const bad = [
    "no_type_line 1\n",
    '# TYPE a counter\na{x="1" 1\n',
    '# TYPE a counter\na{x="1",x="2"} 1\n',
    "# TYPE a counter\na one\n",
    "# TYPE a gauge\na 1",
    '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n',
  ];
  for (const text of bad) assert.throws(() => parsePrometheusText(text), assert.AssertionError, JSON.stringify(text));
  const good = parsePrometheusText('# HELP a x\n# TYPE a counter\na{p="q\\"r\\\\s\\nt"} 2 1700000000\n');
  assert.deepEqual(good.get("a")?.samples, [{ name: "a", labels: { p: 'q"r\\s\nt' }, value: 2 }]);
});

// --- a policy of fake rules: deterministic findings whatever the real rules do ---------------

function object(apiVersion: string, kind: string, name: string, ask?: string, extra: Record<string, unknown> = {}) {
  const namespace = kind === "Namespace" ? undefined : kind === "ContainerPatch" ? "kuma-system" : "shop";
  return {
    apiVersion,
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}), labels: ask ? { [ASK]: ask } : {}, ...extra },
  };
}

// --- the script ------------------------------------------------------------------------------

interface Step {
  name: string;
  review: ReturnType<typeof admissionReview>;
  /** The `kind` label: the routed kind or "other". */
  kind: string;
  decision: "allowed" | "denied" | "error";
  allowed: boolean;
  findings: [rule: string, action: string][];
  warning?: string;
}

let uid = 0;
function step(
  s: Omit<Step, "review"> & { object: ReturnType<typeof object>; operation?: string; dryRun?: boolean; oldObject?: unknown },
): Step {
  uid += 1;
  const review = admissionReview(s.object, {
    uid: `uid-${uid}`,
    ...(s.operation ? { operation: s.operation } : {}),
    ...(s.dryRun !== undefined ? { dryRun: s.dryRun } : {}),
    ...(s.oldObject !== undefined ? { oldObject: s.oldObject } : {}),
  });
  return {
    name: s.name,
    review,
    kind: s.kind,
    decision: s.decision,
    allowed: s.allowed,
    findings: s.findings,
    ...(s.warning ? { warning: s.warning } : {}),
  };
}

const STEPS: Step[] = [
  step({
    name: "unrouted ConfigMap",
    object: object("v1", "ConfigMap", "cm-1", "deny"),
    kind: "other",
    decision: "allowed",
    allowed: true,
    findings: [],
  }),
  step({
    name: "a CRD reusing the name Deployment",
    object: object("example.com/v1", "Deployment", "crd-1", "deny"),
    kind: "other",
    decision: "allowed",
    allowed: true,
    findings: [],
  }),
  step({ name: "clean Pod", object: object("v1", "Pod", "pod-1"), kind: "Pod", decision: "allowed", allowed: true, findings: [] }),
  step({
    name: "Deployment with an error",
    object: object("apps/v1", "Deployment", "dep-1", "deny"),
    kind: "Deployment",
    decision: "denied",
    allowed: false,
    findings: [["fake-deny", "deny"]],
  }),
  step({
    name: "same, dry run",
    object: object("apps/v1", "Deployment", "dep-2", "deny"),
    dryRun: true,
    kind: "Deployment",
    decision: "denied",
    allowed: false,
    findings: [["fake-deny", "deny"]],
  }),
  step({
    name: "ContainerPatch with an advisory",
    object: object("kuma.io/v1alpha1", "ContainerPatch", "cp-1", "warn"),
    kind: "ContainerPatch",
    decision: "allowed",
    allowed: true,
    findings: [["fake-warn", "warn"]],
  }),
  step({
    name: "Namespace UPDATE adding an error",
    object: object("v1", "Namespace", "ns-1", "deny"),
    operation: "UPDATE",
    oldObject: object("v1", "Namespace", "ns-1"),
    kind: "Namespace",
    decision: "denied",
    allowed: false,
    findings: [["fake-deny", "deny"]],
  }),
  step({
    name: "Namespace UPDATE keeping an error (ratchet)",
    object: object("v1", "Namespace", "ns-2", "deny"),
    operation: "UPDATE",
    oldObject: object("v1", "Namespace", "ns-2", "deny"),
    kind: "Namespace",
    decision: "allowed",
    allowed: true,
    findings: [["fake-deny", "warn"]],
  }),
  step({
    name: "StatefulSet DELETE with an error",
    object: object("apps/v1", "StatefulSet", "sts-1", "deny"),
    operation: "DELETE",
    kind: "StatefulSet",
    decision: "allowed",
    allowed: true,
    findings: [["fake-deny", "warn"]],
  }),
  step({
    name: "Job audited",
    object: object("batch/v1", "Job", "job-1", "audit"),
    kind: "Job",
    decision: "allowed",
    allowed: true,
    findings: [["fake-audit", "audit"]],
  }),
  step({
    name: "Pod whose rule throws",
    object: object("v1", "Pod", "pod-2", "throw"),
    kind: "Pod",
    decision: "error",
    allowed: true,
    findings: [],
    warning: "internal-error: fake-throw failed: boom",
  }),
  step({
    name: "CronJob with an error and an advisory",
    object: object("batch/v1", "CronJob", "cj-1", "deny_warn"),
    kind: "CronJob",
    decision: "denied",
    allowed: false,
    findings: [
      ["fake-deny", "deny"],
      ["fake-warn", "warn"],
    ],
  }),
  step({
    name: "DaemonSet UPDATE, dry run, clean",
    object: object("apps/v1", "DaemonSet", "ds-1"),
    operation: "UPDATE",
    dryRun: true,
    oldObject: object("apps/v1", "DaemonSet", "ds-1"),
    kind: "DaemonSet",
    decision: "allowed",
    allowed: true,
    findings: [],
  }),
  step({
    name: "controller-owned Pod with an error",
    object: object("v1", "Pod", "pod-3", "deny", {
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "x", controller: true }],
    }),
    kind: "Pod",
    decision: "allowed",
    allowed: true,
    findings: [["fake-deny", "warn"]],
  }),
  step({
    name: "ReplicaSet DELETE, dry run, audited",
    object: object("apps/v1", "ReplicaSet", "rs-1", "audit"),
    operation: "DELETE",
    dryRun: true,
    kind: "ReplicaSet",
    decision: "allowed",
    allowed: true,
    findings: [["fake-audit", "audit"]],
  }),
  step({
    name: "Pod with an error and a throwing rule",
    object: object("v1", "Pod", "pod-4", "deny_throw"),
    kind: "Pod",
    decision: "error",
    allowed: false,
    findings: [["fake-deny", "deny"]],
    warning: "internal-error: fake-throw failed: boom",
  }),
];

const MAX_BODY = 64 * 1024;
const REJECTS: { name: string; reason: string; status: number; send: (app: ReturnType<typeof createTestApp>["app"]) => request.Test }[] = [
  {
    name: "not JSON",
    reason: "malformed",
    status: 400,
    send: (app) => request(app).post("/validate").set("content-type", "application/json").send("{nope"),
  },
  { name: "not an AdmissionReview", reason: "malformed", status: 400, send: (app) => request(app).post("/validate").send({ kind: "Pod" }) },
  {
    name: "over --max-body",
    reason: "body_too_large",
    status: 413,
    send: (app) =>
      request(app)
        .post("/validate")
        .set("content-type", "application/json")
        .send(JSON.stringify({ pad: "x".repeat(MAX_BODY) })),
  },
  { name: "GET /validate", reason: "method", status: 405, send: (app) => request(app).get("/validate") },
  { name: "PUT /metrics", reason: "method", status: 405, send: (app) => request(app).put("/metrics") },
];

/** Every kuma_guard_* family DESIGN.md → Metrics names, with its type. */
const DESIGN_METRICS: Readonly<Record<string, MetricType>> = {
  kuma_guard_admission_requests_total: "counter",
  kuma_guard_admission_duration_seconds: "histogram",
  kuma_guard_rule_findings_total: "counter",
  kuma_guard_rule_duration_seconds: "histogram",
  kuma_guard_rejected_requests_total: "counter",
  kuma_guard_policy_reloads_total: "counter",
  kuma_guard_container_patches: "gauge",
  kuma_guard_catalog_synced: "gauge",
  kuma_guard_tls_certificate_expiry_timestamp_seconds: "gauge",
};

/** A few of prom-client's default process metrics the dashboard relies on. */
const DEFAULT_METRICS = [
  "process_cpu_seconds_total",
  "process_resident_memory_bytes",
  "process_start_time_seconds",
  "nodejs_heap_size_used_bytes",
  "nodejs_eventloop_lag_p99_seconds",
];

test("after a scripted set of requests, /metrics counts exactly what was sent", async () => {
  const { app } = createTestApp({ policy: askingPolicy(), maxBody: MAX_BODY });

  const requests = new Tally();
  const durations = new Tally();
  const findings = new Tally();
  const ruleRuns = new Tally();
  const rejects = new Tally();
  for (const s of STEPS) {
    const res = await request(app).post("/validate").send(s.review);
    assert.equal(res.status, 200, s.name);
    assert.equal(res.body.response.allowed, s.allowed, s.name);
    if (s.warning) assert.ok(res.body.response.warnings?.includes(s.warning), `${s.name}: ${JSON.stringify(res.body.response.warnings)}`);
    const { operation, dryRun } = s.review.request;
    requests.add({ kind: s.kind, operation, decision: s.decision, dry_run: String(dryRun) });
    durations.add({ kind: s.kind, operation });
    for (const [rule, action] of s.findings) findings.add({ rule, action });
    // Every fake rule runs once on each routed object (the ratchet's look at oldObject is not timed).
    if (s.kind !== "other") for (const rule of Object.keys(ASKING_ACTIONS)) ruleRuns.add({ rule });
  }
  for (const r of REJECTS) {
    const res = await r.send(app);
    assert.equal(res.status, r.status, r.name);
    rejects.add({ reason: r.reason });
  }
  assert.equal((await request(app).post("/nowhere").send({})).status, 404, "an unknown path has no reason and is not counted");

  const res = await request(app).get("/metrics");
  assert.equal(res.status, 200);
  assert.match(res.headers["content-type"] ?? "", /^text\/plain; version=0\.0\.4/);
  const families = parsePrometheusText(res.text);

  assert.deepEqual(valuesOf(families, "kuma_guard_admission_requests_total"), requests.counts);
  assert.deepEqual(valuesOf(families, "kuma_guard_admission_duration_seconds_count"), durations.counts);
  assert.deepEqual(
    new Map(
      [...valuesOf(families, "kuma_guard_admission_duration_seconds_bucket")]
        .filter(([key]) => key.includes('"le":"+Inf"'))
        .map(([key, value]) => [keyOf(dropLe(key)), value]),
    ),
    durations.counts,
  );
  assert.deepEqual(valuesOf(families, "kuma_guard_rule_findings_total"), findings.counts);
  assert.deepEqual(valuesOf(families, "kuma_guard_rule_duration_seconds_count"), ruleRuns.counts);
  assert.deepEqual(valuesOf(families, "kuma_guard_rejected_requests_total"), rejects.counts);

  // Durations are real measurements: positive sums, never negative.
  for (const name of ["kuma_guard_admission_duration_seconds_sum", "kuma_guard_rule_duration_seconds_sum"]) {
    for (const value of valuesOf(families, name).values()) assert.ok(value >= 0 && Number.isFinite(value), name);
  }
});

const dropLe = (key: string): Record<string, string> => {
  const { le: _le, ...rest } = JSON.parse(key) as Record<string, string>;
  return rest;
};

test("/metrics has every DESIGN.md metric, the default process metrics, and bounded labels", async () => {
  const { app } = createTestApp({ policy: askingPolicy() });
  for (const s of STEPS) await request(app).post("/validate").send(s.review);
  const families = parsePrometheusText((await request(app).get("/metrics")).text);

  for (const [name, type] of Object.entries(DESIGN_METRICS)) {
    assert.equal(families.get(name)?.type, type, `${name} is a ${type}`);
    assert.ok(families.get(name)?.help, `${name} has HELP`);
  }
  for (const name of DEFAULT_METRICS) assert.ok(families.has(name), `default metric ${name}`);

  // Labels are exactly DESIGN.md's; values come from small fixed sets, never from objects.
  const labelNames = (name: string) =>
    new Set(
      families
        .get(name)
        ?.samples.flatMap((s) => Object.keys(s.labels))
        .filter((l) => l !== "le"),
    );
  assert.deepEqual(labelNames("kuma_guard_admission_requests_total"), new Set(["kind", "operation", "decision", "dry_run"]));
  assert.deepEqual(labelNames("kuma_guard_admission_duration_seconds"), new Set(["kind", "operation"]));
  assert.deepEqual(labelNames("kuma_guard_rule_findings_total"), new Set(["rule", "action"]));
  assert.deepEqual(labelNames("kuma_guard_rule_duration_seconds"), new Set(["rule"]));
  const allowed: Record<string, ReadonlySet<string>> = {
    kind: new Set([...ROUTED_KINDS, "other"]),
    operation: new Set(["CREATE", "UPDATE", "DELETE", "CONNECT"]),
    decision: new Set(["allowed", "denied", "error"]),
    dry_run: new Set(["true", "false"]),
    action: new Set(["deny", "warn", "audit"]),
    rule: new Set(Object.keys(ASKING_ACTIONS)),
    reason: new Set(["body_too_large", "malformed", "method"]),
  };
  for (const family of families.values()) {
    if (!family.name.startsWith("kuma_guard_")) continue;
    for (const sample of family.samples) {
      for (const [label, value] of Object.entries(sample.labels)) {
        if (label === "le") continue;
        assert.ok(allowed[label]?.has(value), `${sample.name}{${label}="${value}"} is outside its bounded set`);
      }
    }
  }

  // Both histograms: buckets from 0.5 ms to 10 s.
  assert.equal(DURATION_BUCKETS[0], 0.0005);
  assert.equal(DURATION_BUCKETS.at(-1), 10);
  for (const name of ["kuma_guard_admission_duration_seconds", "kuma_guard_rule_duration_seconds"]) {
    const series = families.get(name)?.samples.filter((s) => s.name === `${name}_bucket`) ?? [];
    const first = series[0]?.labels;
    assert.ok(first, `${name} has samples`);
    const { le: _le, ...own } = first;
    const bounds = series.filter((s) => keyOf(dropLe(keyOf(s.labels))) === keyOf(own)).map((s) => s.labels.le);
    assert.deepEqual(bounds, [...DURATION_BUCKETS.map(String), "+Inf"], name);
  }
});

test("/metrics parses before any request: families are declared, label sets come later", async () => {
  const { app } = createTestApp();
  const families = parsePrometheusText((await request(app).get("/metrics")).text);
  for (const name of Object.keys(DESIGN_METRICS)) assert.ok(families.has(name), name);
  assert.deepEqual(families.get("kuma_guard_admission_requests_total")?.samples, []);
  // Without a catalog probe the catalog counts as synced; without TLS there is no expiry sample.
  assert.deepEqual(families.get("kuma_guard_catalog_synced")?.samples, [{ name: "kuma_guard_catalog_synced", labels: {}, value: 1 }]);
  assert.deepEqual(families.get("kuma_guard_tls_certificate_expiry_timestamp_seconds")?.samples, []);
});
