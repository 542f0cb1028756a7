// rule_duration_seconds is kept outside prom-client for speed (src/metrics.ts); it must
// export exactly what a prom-client Histogram with the same observations would.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Histogram, Registry } from "prom-client";
import type { Metric } from "prom-client";
import { DURATION_BUCKETS, RuleDurationHistogram, createMetrics } from "../src/metrics.js";

/** Sample lines sorted, labels inside each line sorted: prom-client orders `le` differently. */
function normalise(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.replace(/\{([^}]*)\}/, (_, labels: string) => `{${labels.split(",").sort().join(",")}}`))
    .sort();
}

test("the fast per-rule histogram exports what prom-client's Histogram would", async () => {
  const reference = new Registry();
  const expected = new Histogram({
    name: "rule_seconds",
    help: "h",
    labelNames: ["rule"],
    buckets: [...DURATION_BUCKETS],
    registers: [reference],
  });
  const ours = new Registry();
  const actual = new RuleDurationHistogram("rule_seconds", "h", DURATION_BUCKETS);
  ours.registerMetric(actual as unknown as Metric);

  // Bucket bounds exactly (le is inclusive), between them, below the first, above the last.
  const values = [0, 0.00001, ...DURATION_BUCKETS, 0.0007, 0.3, 9.99, 10.5, 120];
  values.forEach((seconds, i) => {
    const rule = ["patch-op", "sidecar-uid", 'odd"rule\\id'][i % 3]!;
    expected.observe({ rule }, seconds);
    actual.observe({ rule }, seconds);
  });
  assert.deepEqual(normalise(await ours.metrics()), normalise(await reference.metrics()));

  ours.resetMetrics();
  assert.deepEqual(normalise(await ours.metrics()), ["# HELP rule_seconds h", "# TYPE rule_seconds histogram"]);
});

test("a non-finite duration is dropped, not exported as NaN", async () => {
  const metrics = createMetrics();
  metrics.ruleDuration.observe({ rule: "patch-op" }, Number.NaN);
  metrics.ruleDuration.observe({ rule: "patch-op" }, Number.POSITIVE_INFINITY);
  const { values } = await metrics.ruleDuration.get();
  assert.deepEqual(values, []);
});
