// Table tests for the annotation-unknown rule; rows that encode Kuma behaviour cite its source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentWith, checkRule } from "../support/context.js";
import { codes, sharedWorkloadRuleTests } from "../support/workload-rule.js";
import fc from "fast-check";
import { KNOWN_ANNOTATIONS } from "../../src/kuma/annotations.js";
import {
  annotationUnknown as rule,
  closestKnown,
  editDistanceWithin,
  MAX_UNKNOWN_KEY_FINDINGS,
} from "../../src/rules/annotation-unknown.js";

sharedWorkloadRuleTests(rule, ["unknown"]);

// Kuma: pkg/plugins/runtime/k8s/metadata/annotations.go (the keys Kuma reads)
const cases: { name: string; annotations: Record<string, string>; codes: string[] }[] = [
  { name: "known keys", annotations: { "kuma.io/container-patches": "p", "traffic.kuma.io/exclude-outbound-ports": "80" }, codes: [] },
  { name: "non-kuma keys", annotations: { "example.com/x": "1" }, codes: [] },
  { name: "prometheus aggregate key", annotations: { "prometheus.metrics.kuma.io/aggregate-app-port": "8080" }, codes: [] },
  { name: "typo", annotations: { "kuma.io/container-patch": "p" }, codes: ["unknown"] },
  { name: "removed spelling", annotations: { "kuma.io/builtindns": "enabled" }, codes: ["removed"] },
];
for (const c of cases) test(c.name, () => assert.deepEqual(codes(checkRule(rule, deploymentWith(c.annotations))), c.codes));

test("did-you-mean by edit distance", () => {
  const [finding] = checkRule(rule, deploymentWith({ "kuma.io/container-patch": "p" }));
  assert.match(finding?.message ?? "", /did you mean kuma\.io\/container-patches\?/);
});

test("8,000 unknown keys: MAX_UNKNOWN_KEY_FINDINGS findings, then one that counts the rest", () => {
  const annotations = Object.fromEntries(Array.from({ length: 8000 }, (_, i) => [`kuma.io/unknown-${i}`, "x"]));
  const findings = checkRule(rule, deploymentWith(annotations));
  assert.equal(findings.length, MAX_UNKNOWN_KEY_FINDINGS + 1);
  assert.match(findings.at(-1)?.message ?? "", new RegExp(`and ${8000 - MAX_UNKNOWN_KEY_FINDINGS} more`));
});

test("editDistanceWithin agrees with the full Levenshtein distance up to its bound", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), fc.integer({ min: 0, max: 6 }), (a, b, max) => {
      const full = levenshtein(a, b);
      assert.equal(editDistanceWithin(a, b, max), full <= max ? full : max + 1);
    }),
  );
});

test("the work per unknown key is bounded by the known keys, however long the key", () => {
  // The longest allowed key costs at most every known key times its band: count the cells.
  const bound = [...KNOWN_ANNOTATIONS].reduce((sum, known) => sum + known.length * (2 * Math.floor(70 / 6) + 1), 0);
  fc.assert(
    fc.property(fc.string({ maxLength: 5000 }), (tail) => {
      const work = { cells: 0 };
      closestKnown(`kuma.io/${tail}`, work);
      assert.ok(work.cells <= bound, `${work.cells} cells for a key of ${tail.length + 8} characters`);
    }),
  );
});

/** The textbook distance, to check the banded one against. */
function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}
