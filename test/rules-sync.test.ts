import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { generatedDocs } from "../src/docs-gen.js";
import { BUILT_IN_RULES, BUILT_IN_RULE_IDS } from "../src/rules/index.js";
import { REPO_ROOT } from "./support/context.js";

// Keeps the rule list in one truth, like fastify's error-code registry: rules/index.ts and each
// rule's codes are the source; docs/rules.md, README.md, the Codes section of docs/rules/<id>.md
// and the policy schema's rule-id enum are generated from them (npm run docs, src/docs-gen.ts).

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

test("the generated docs (npm run docs) are committed: rule tables, Codes sections, the schema's rule-id enum", () => {
  for (const file of generatedDocs(read)) assert.equal(read(file.path), file.content, `${file.path} is stale: run npm run docs`);
});

test("npm run docs appends the Codes section to a page without one, and names the markers a table lacks", () => {
  const rule = BUILT_IN_RULES[0]!;
  const page = `# ${rule.id}\n\n## What it finds\n- something\n`;
  const withPage = (path: string) => (path === `docs/rules/${rule.id}.md` ? page : read(path));
  const generated = generatedDocs(withPage, [rule]).find((file) => file.path === `docs/rules/${rule.id}.md`)!;
  assert.ok(generated.content.startsWith(page + "\n## Codes\n"), generated.content);
  for (const key of Object.keys(rule.codes)) assert.ok(generated.content.includes(`| \`${rule.id}/${key}\` |`), key);
  const noMarkers = (path: string) => (path === "README.md" ? "# kuma-guard\n" : read(path));
  assert.throws(() => generatedDocs(noMarkers), /README\.md: needs the lines <!-- generated:rules \(npm run docs\) -->/);
});

test("every rule declares at least one code; keys are kebab-case and say when they fire", () => {
  for (const rule of BUILT_IN_RULES) {
    const keys = Object.keys(rule.codes);
    assert.ok(keys.length > 0, `${rule.id} declares no codes`);
    for (const key of keys) {
      assert.match(key, /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, `${rule.id}/${key}`);
      assert.ok(rule.codes[key]!.when.length > 0, `${rule.id}/${key} does not say when it fires`);
    }
  }
});

for (const id of BUILT_IN_RULE_IDS) {
  test(`docs/rules/${id}.md explains what, why and how to fix`, () => {
    const path = `docs/rules/${id}.md`;
    assert.ok(existsSync(new URL(path, REPO_ROOT)), `${path} is missing`);
    const page = read(path);
    assert.ok(page.startsWith(`# ${id}\n`), `${path} must start with "# ${id}"`);
    for (const heading of ["## What it finds", "## Why", "## Example", "## Codes"])
      assert.ok(page.includes(heading), `${path} lacks "${heading}"`);
  });
}
