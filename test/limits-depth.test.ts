// Nesting-depth limits on text (before the YAML parser) and on policies (issue 17).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { stringify } from "yaml";
import { jsonDeeperThan, pathDeeperThan, textDeeperThan } from "../src/limits.js";
import { parsePolicy } from "../src/policy/load.js";
import { PolicyLoadError } from "../src/policy/errors.js";

const deepValue = (depth: number, leaf: unknown = 1): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { k: value };
  return value;
};

// Keys as Kubernetes objects have them (label, annotation and field names); values may be any
// scalar text. A plain scalar holding a flow indicator after a space (`$ {`) is beyond the scan: see textDeeperThan.
const kubernetesKey = fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9./_-]{0,6}$/);

test("textDeeperThan never misses what pathDeeperThan finds, in JSON and in YAML", () => {
  const nesting = fc.letrec<{ node: unknown }>((tie) => ({
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constantFrom(1, "a", "[x]", "- y", "k: v", "-{", null),
      fc.array(tie("node"), { maxLength: 3 }),
      fc.dictionary(kubernetesKey, tie("node"), { maxKeys: 3 }),
    ),
  })).node;
  fc.assert(
    fc.property(nesting, fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 8 }), (value, wrap, max) => {
      const wrapped = deepValue(wrap, value);
      if (pathDeeperThan(wrapped, max) === undefined) return;
      assert.notEqual(textDeeperThan(JSON.stringify(wrapped), max), undefined, JSON.stringify(wrapped));
      assert.notEqual(textDeeperThan(JSON.stringify(wrapped, null, 2), max), undefined);
      assert.notEqual(textDeeperThan(stringify(wrapped), max), undefined, stringify(wrapped));
    }),
    { numRuns: 500 },
  );
});

test("jsonDeeperThan agrees with pathDeeperThan on any JSON text, whatever its strings hold", () => {
  const nesting = fc.letrec<{ node: unknown }>((tie) => ({
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constantFrom(1, null, true, '"', "\\", '\\"', "[{", "}]", '"]'),
      fc.string(),
      fc.array(tie("node"), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 4 }), tie("node"), { maxKeys: 3 }),
    ),
  })).node;
  fc.assert(
    fc.property(nesting, fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 8 }), (value, wrap, max) => {
      const wrapped = deepValue(wrap, value);
      const expected = pathDeeperThan(wrapped, max) !== undefined;
      assert.equal(jsonDeeperThan(JSON.stringify(wrapped), max) !== undefined, expected, JSON.stringify(wrapped));
      assert.equal(jsonDeeperThan(JSON.stringify(wrapped, null, 2), max) !== undefined, expected);
    }),
    { numRuns: 500 },
  );
});

test("textDeeperThan accepts an ordinary deep manifest and names the line of a bomb", () => {
  const cronJob = stringify({
    spec: {
      jobTemplate: {
        spec: { template: { spec: { containers: [{ livenessProbe: { httpGet: { httpHeaders: [{ name: "a", value: "b" }] } } }] } } },
      },
    },
  });
  assert.equal(textDeeperThan(cronJob), undefined);
  assert.equal(textDeeperThan("a: 1\nb: " + "[".repeat(1000)), 2);
  assert.equal(textDeeperThan("- ".repeat(1000) + "x"), 1);
  assert.equal(textDeeperThan('value: "' + "[".repeat(1000) + '"'), undefined, "brackets in a string do not nest");
  assert.equal(textDeeperThan("# " + "[".repeat(1000)), undefined, "nor in a comment");
});

const rejects = (text: string, pattern: RegExp) =>
  assert.rejects(parsePolicy(text, "deep.yaml"), (e: unknown) => e instanceof PolicyLoadError && pattern.test(e.message));

test("a policy nested beyond MAX_NESTING_DEPTH is refused with file and line, before the YAML parser sees it", async () => {
  await rejects(
    `apiVersion: kuma-guard.io/v1alpha1\nkind: Policy\nspec:\n  x: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`,
    /deep\.yaml:4: nests deeper than 64 levels/,
  );
});

test("an alias placing a deep anchor deep is refused with the field path", async () => {
  // Each half is within the limit as text; the alias makes them one structure of 80 levels.
  const half = (leaf: string) => `${"[".repeat(40)}${leaf}${"]".repeat(40)}`;
  await rejects(
    `apiVersion: kuma-guard.io/v1alpha1\nkind: Policy\nspec:\n  a: &deep ${half("1")}\n  b: ${half("*deep")}\n`,
    /deep\.yaml: spec\.b(\[0\])+: nests deeper than 64 levels/,
  );
});

test("an alias bomb is a policy error, not an exception", async () => {
  const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i <= 10; i++)
    lines.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(", ")}]`,
    );
  await rejects(`apiVersion: kuma-guard.io/v1alpha1\nkind: Policy\nspec:\n  ${lines.join("\n  ")}\n`, /deep\.yaml: .*alias/i);
});
