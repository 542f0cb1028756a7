// The per-decision log line (issue 6): one JSON line per admission with uid, kind,
// namespace/name, operation, decision, rule ids with actions, duration and dryRun; denied,
// warned and audited at info, allowed at debug; rule errors at error with the stack; and
// nothing from the object's content at the default level.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { pino } from "pino";
import request from "supertest";
import { admissionReview, createTestApp } from "./support/app.js";
import { ASK, askingPolicy } from "./support/policy.js";
import { createApp, DEFAULT_MAX_BODY } from "../src/server/app.js";
import { createMetrics } from "../src/metrics.js";
import { createNoCatalog } from "../src/catalog/types.js";

/** What a real rule does too: quote the offending annotation value in its message. */
const SECRET = "token=s3cr3t-do-not-log";

/** Fake rules that, as real rules do, quote the offending annotation value in their message. */
const fakePolicy = () =>
  askingPolicy(
    (trigger, subject) => `${trigger}: kuma.io/sidecar-env-vars is "${subject.meta.annotations["kuma.io/sidecar-env-vars"] ?? ""}"`,
  );

function deployment(name: string, ask?: string) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "shop", labels: ask ? { [ASK]: ask } : {}, annotations: { "kuma.io/sidecar-env-vars": SECRET } },
    spec: {
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "app", image: "nginx", env: [{ name: "PASSWORD", value: SECRET }] }] },
      },
    },
  };
}

/** An app logging at `level` into `logs`, as `serve` wires it (createTestApp logs at debug). */
function appAtLevel(level: string) {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const policy = fakePolicy();
  const catalog = createNoCatalog();
  const app = createApp({
    logger: pino({ level }, sink),
    metrics: createMetrics(),
    state: () => ({ policy, catalog }),
    maxBody: DEFAULT_MAX_BODY,
    isReady: () => true,
  });
  return { app, logs };
}

const admissionLines = (logs: Record<string, unknown>[]) => logs.filter((l) => l.msg === "admission");
const PINO_LEVEL = { debug: 20, info: 30, error: 50 } as const;

test("a denied request logs one info line with uid, object, operation, decision, rules, duration and dryRun", async () => {
  const { app, logs } = createTestApp({ policy: fakePolicy() });
  const res = await request(app)
    .post("/validate")
    .send(
      admissionReview(deployment("web", "deny_warn"), {
        uid: "uid-denied",
        operation: "UPDATE",
        oldObject: deployment("web"),
        dryRun: true,
      }),
    );
  assert.equal(res.body.response.allowed, false);

  const lines = admissionLines(logs);
  assert.equal(lines.length, 1, "one line per decision");
  const line = lines[0]!;
  assert.equal(line.level, PINO_LEVEL.info);
  assert.equal(line.uid, "uid-denied");
  assert.equal(line.kind, "Deployment");
  assert.equal(line.namespace, "shop");
  assert.equal(line.name, "web");
  assert.equal(line.operation, "UPDATE");
  assert.equal(line.decision, "denied");
  assert.equal(line.dryRun, true);
  assert.equal(typeof line.durationMs, "number");
  assert.ok((line.durationMs as number) >= 0);
  const findings = line.findings as Record<string, unknown>[];
  assert.deepEqual(
    findings.map(({ rule, action, path }) => ({ rule, action, path })),
    [
      { rule: "fake-deny", action: "deny", path: "metadata.labels" },
      { rule: "fake-warn", action: "warn", path: "metadata.labels" },
    ],
  );
  // At debug level (as here) the messages come along; see the next test for the default.
  assert.ok(findings.every((f) => typeof f.message === "string"));
});

test("at the default info level nothing from the object is logged: no messages, no values, no body", async () => {
  const { app, logs } = appAtLevel("info");
  await request(app)
    .post("/validate")
    .send(admissionReview(deployment("web", "deny"), { uid: "uid-1" }));
  await request(app)
    .post("/validate")
    .send(admissionReview(deployment("web", "throw"), { uid: "uid-2" }));
  await request(app).post("/validate").set("content-type", "application/json").send(`{"not json": "${SECRET}"`);
  const [denied] = admissionLines(logs);
  assert.deepEqual(denied?.findings, [{ rule: "fake-deny", code: "fake-deny/asked", action: "deny", path: "metadata.labels" }]);
  const text = logs.map((l) => JSON.stringify(l)).join("\n");
  assert.ok(!text.includes("s3cr3t"), `a value from the object reached the log:\n${text}`);
  assert.ok(!text.includes("PASSWORD") && !text.includes("nginx"), "no part of the object is logged");
});

const LEVELS: { name: string; ask: string | undefined; decision: string; level: number }[] = [
  { name: "allowed without findings", ask: undefined, decision: "allowed", level: PINO_LEVEL.debug },
  { name: "allowed with a warning", ask: "warn", decision: "allowed", level: PINO_LEVEL.info },
  { name: "allowed with an audit", ask: "audit", decision: "allowed", level: PINO_LEVEL.info },
  { name: "denied", ask: "deny", decision: "denied", level: PINO_LEVEL.info },
  { name: "a rule failed", ask: "throw", decision: "error", level: PINO_LEVEL.info },
];
for (const c of LEVELS) {
  test(`the decision line of a request ${c.name} is at level ${c.level}`, async () => {
    const { app, logs } = createTestApp({ policy: fakePolicy() });
    await request(app)
      .post("/validate")
      .send(admissionReview(deployment("web", c.ask)));
    const [line] = admissionLines(logs);
    assert.equal(line?.decision, c.decision);
    assert.equal(line?.level, c.level);
  });
}

test("an allowed request is not logged at the default info level", async () => {
  const { app, logs } = appAtLevel("info");
  await request(app)
    .post("/validate")
    .send(admissionReview(deployment("web")));
  assert.deepEqual(admissionLines(logs), []);
});

test("a rule that throws logs an error line with pino's err serializer (type, message, stack)", async () => {
  const { app, logs } = createTestApp({ policy: fakePolicy() });
  const res = await request(app)
    .post("/validate")
    .send(admissionReview(deployment("web", "throw"), { uid: "uid-throw" }));
  assert.deepEqual(res.body.response.warnings, ["internal-error: fake-throw failed: boom"]);

  const failed = logs.filter((l) => l.msg === "rule failed");
  assert.equal(failed.length, 1);
  const line = failed[0]!;
  assert.equal(line.level, PINO_LEVEL.error);
  assert.equal(line.uid, "uid-throw");
  assert.equal(line.rule, "fake-throw");
  const err = line.err as Record<string, unknown>;
  assert.equal(err.type, "Error");
  assert.equal(err.message, "boom");
  assert.match(String(err.stack), /^Error: boom\n\s+at /, "the stack, not {} from JSON.stringify(error)");

  const [decision] = admissionLines(logs);
  assert.equal(decision?.decision, "error");
  assert.deepEqual(decision?.findings, [{ rule: "fake-throw", action: "error" }]);
});

test("a rejected request logs its reason at debug, never its body", async () => {
  const { app, logs } = createTestApp();
  await request(app).post("/validate").set("content-type", "application/json").send(`{"password": "${SECRET}"`);
  const rejected = logs.filter((l) => l.msg === "request rejected");
  assert.deepEqual(
    rejected.map(({ level, status, reason, method, path }) => ({ level, status, reason, method, path })),
    [{ level: PINO_LEVEL.debug, status: 400, reason: "malformed", method: "POST", path: "/validate" }],
  );
  assert.ok(!JSON.stringify(logs).includes("s3cr3t"));
});
