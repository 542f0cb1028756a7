import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { BUILT_IN_RULES, BUILT_IN_RULE_IDS } from "../src/rules/index.js";
import { REPO_ROOT } from "./support/context.js";

// Keeps the rule list in one truth: rules/index.ts, docs/rules.md, docs/rules/<id>.md and
// the policy schema's rule-id enum move together, like fastify's error-code registry.

const read = (path: string) => readFileSync(new URL(path, REPO_ROOT), "utf8");

test("rule ids are unique kebab-case names", () => {
  assert.equal(new Set(BUILT_IN_RULE_IDS).size, BUILT_IN_RULE_IDS.length);
  for (const id of BUILT_IN_RULE_IDS) assert.match(id, /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
});

test("every rule lives in src/rules/<id>.ts and every rule file is listed", () => {
  const files = readdirSync(new URL("src/rules/", REPO_ROOT))
    .filter((file) => file.endsWith(".ts") && !["index.ts", "types.ts"].includes(file))
    .map((file) => file.replace(/\.ts$/, ""));
  assert.deepEqual([...files].sort(), [...BUILT_IN_RULE_IDS].sort());
});

for (const [file, prefix] of [["docs/rules.md", "rules/"], ["README.md", "docs/rules/"]] as const) {
  test(`${file} lists every rule, in order, with its default action and summary`, () => {
    const row = new RegExp(`^\\| \\[\`([a-z0-9-]+)\`\\]\\(${prefix}\\1\\.md\\) \\| [^|]+ \\| (deny|warn) \\| (.*) \\|$`);
    const rows = read(file)
      .split("\n")
      .map((line) => row.exec(line))
      .filter((match) => match !== null);
    assert.deepEqual(rows.map((m) => m[1]), BUILT_IN_RULE_IDS);
    assert.deepEqual(rows.map((m) => m[2]), BUILT_IN_RULES.map((rule) => rule.defaultAction));
    assert.deepEqual(rows.map((m) => m[3]), BUILT_IN_RULES.map((rule) => rule.summary));
  });
}

for (const id of BUILT_IN_RULE_IDS) {
  test(`docs/rules/${id}.md explains what, why and how to fix`, () => {
    const path = `docs/rules/${id}.md`;
    assert.ok(existsSync(new URL(path, REPO_ROOT)), `${path} is missing`);
    const page = read(path);
    assert.ok(page.startsWith(`# ${id}\n`), `${path} must start with "# ${id}"`);
    for (const heading of ["## What it finds", "## Why", "## Example"]) assert.ok(page.includes(heading), `${path} lacks "${heading}"`);
  });
}

test("the policy schema's rule-id enum is exactly the built-in ids", () => {
  const schema = JSON.parse(read("schemas/policy.schema.json")) as unknown;
  const enums: string[][] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node)) {
      if (key === "enum" && Array.isArray(value) && value.includes(BUILT_IN_RULE_IDS[0])) enums.push(value as string[]);
      else visit(value);
    }
  };
  visit(schema);
  assert.ok(enums.length > 0, "no enum of rule ids in schemas/policy.schema.json");
  for (const list of enums) assert.deepEqual([...list].sort(), [...BUILT_IN_RULE_IDS].sort());
});
