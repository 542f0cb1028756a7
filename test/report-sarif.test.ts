import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import AjvDraft04Module from "ajv-draft-04";
import addFormatsModule from "ajv-formats";
import { toArtifactUri, toSarif } from "../src/report/sarif.js";
import { flatFindings, INPUT_ERROR_RULE_INFO, inputErrorObject, ruleDocsUrl } from "../src/report/model.js";
import { sampleReport } from "./support/report-sample.js";
import { REPO_ROOT } from "./support/context.js";
import { checkDocuments } from "../src/check.js";
import { readManifests } from "../src/manifests.js";
import { loadPolicy } from "../src/policy/load.js";

// SARIF 2.1.0 checked against the official schema (draft-04, shipped by @microsoft/jest-sarif).

type Constructor = new (
  options: Record<string, unknown>,
) => {
  compile(schema: unknown): ((data: unknown) => boolean) & { errors?: unknown };
};
// Both are CommonJS modules whose default export sits on .default under NodeNext.
const AjvDraft04 = ((AjvDraft04Module as unknown as { default?: Constructor }).default ?? AjvDraft04Module) as unknown as Constructor;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: unknown) => void;

let compiled: ReturnType<Constructor["prototype"]["compile"]> | undefined;
function sarifValidator() {
  if (compiled) return compiled;
  const schema = JSON.parse(
    readFileSync(new URL("node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json", REPO_ROOT), "utf8"),
  ) as Record<string, unknown>;
  // The schema's patterns use escapes that are invalid under the u flag.
  const ajv = new AjvDraft04({ allErrors: true, unicodeRegExp: false, strict: false });
  addFormats(ajv);
  compiled = ajv.compile(schema);
  return compiled;
}

/** Validates `log` and fails with ajv's errors. */
export function assertValidSarif(log: unknown): void {
  const validate = sarifValidator();
  assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
}

test("the log is valid SARIF 2.1.0", () => {
  assertValidSarif(toSarif(sampleReport(), { baseDir: "/repo" }));
});

test("the validator rejects a log that breaks the schema", () => {
  const log = toSarif(sampleReport(), { baseDir: "/repo" }) as unknown as { runs: { results: { level: string }[] }[] };
  log.runs[0]!.results[0]!.level = "fatal";
  assert.equal(sarifValidator()(log), false);
});

test("code and params go to the result's properties; an unreadable input is located at its line and column", () => {
  const report = sampleReport();
  report.objects[0]!.findings[0]!.code = "direct-access/padded-entry";
  report.objects[0]!.findings[0]!.params = { entry: " b", index: 1 };
  report.objects.push(
    inputErrorObject({ file: "deploy/broken.yaml", line: 6, column: 3, code: "yaml-syntax", message: "YAML syntax error: x" }),
  );
  report.rules.push(INPUT_ERROR_RULE_INFO);
  const log = toSarif(report, { baseDir: "/repo" });
  assertValidSarif(log);
  const results = log.runs[0]!.results!;
  assert.deepEqual(results[0]!.properties, {
    action: "deny",
    severity: "error",
    path: report.objects[0]!.findings[0]!.path,
    code: "direct-access/padded-entry",
    params: { entry: " b", index: 1 },
  });
  const inputError = results.at(-1)!;
  assert.equal(inputError.ruleId, "input-error");
  assert.deepEqual(inputError.locations, [
    { physicalLocation: { artifactLocation: { uri: "deploy/broken.yaml" }, region: { startLine: 6, startColumn: 3 } } },
  ]);
  assert.equal(inputError.message.text, "YAML syntax error: x");
  assert.equal(inputError.properties?.["code"], "input-error/yaml-syntax");
});

test("a log without results is valid too", () => {
  assertValidSarif(toSarif({ ...sampleReport(), objects: [] }, { baseDir: "/repo" }));
});

test("one run: driver name, version, rules with descriptions and docs links", () => {
  const log = toSarif(sampleReport(), { baseDir: "/repo" }) as unknown as {
    version: string;
    runs: { tool: { driver: Record<string, unknown> }; results: Record<string, unknown>[] }[];
  };
  assert.equal(log.version, "2.1.0");
  assert.equal(log.runs.length, 1);
  const driver = log.runs[0]!.tool.driver as {
    name: string;
    version: string;
    rules: { id: string; shortDescription: { text: string }; helpUri?: string }[];
  };
  assert.equal(driver.name, "kuma-guard");
  assert.equal(driver.version, "1.2.3");
  assert.deepEqual(
    driver.rules.map((r) => r.id),
    sampleReport().rules.map((r) => r.id),
  );
  assert.equal(driver.rules[0]!.shortDescription.text, "direct access entries are exact");
  assert.equal(driver.rules[0]!.helpUri, ruleDocsUrl("direct-access"));
  assert.equal(driver.rules.find((r) => r.id === "internal-error")!.helpUri, undefined, "no docs page for non-built-in ids");
});

test("results: one per finding, level from the action, location at the object's line", () => {
  const report = sampleReport();
  const log = toSarif(report, { baseDir: "/repo" }) as unknown as {
    runs: {
      results: {
        ruleId: string;
        ruleIndex: number;
        level: string;
        locations: { physicalLocation?: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
      }[];
    }[];
  };
  const results = log.runs[0]!.results;
  const findings = flatFindings(report);
  assert.equal(results.length, findings.length);
  assert.deepEqual(
    results.map((r) => r.level),
    ["error", "warning", "note", "error", "warning"],
  );
  assert.deepEqual(
    results.map((r) => r.ruleId),
    findings.map((f) => f.finding.ruleId),
  );
  for (const r of results) assert.equal(report.rules[r.ruleIndex]!.id, r.ruleId);
  assert.deepEqual(results[0]!.locations[0]!.physicalLocation, { artifactLocation: { uri: "deploy/app.yaml" }, region: { startLine: 12 } });
  assert.equal(results[4]!.locations[0]!.physicalLocation, undefined, "stdin has no artifact to point at");
});

test("artifact URIs are relative to the base directory, encoded, else file: URIs", () => {
  assert.equal(toArtifactUri("deploy/app.yaml", "/repo"), "deploy/app.yaml");
  assert.equal(toArtifactUri("/repo/deploy/my app#1.yaml", "/repo"), "deploy/my%20app%231.yaml");
  assert.equal(toArtifactUri("/elsewhere/app.yaml", "/repo"), "file:///elsewhere/app.yaml");
  assert.equal(toArtifactUri("../up.yaml", "/repo/sub"), "file:///repo/up.yaml");
});

test("the log of a real check (built-in and custom rules, every action) is valid SARIF", async () => {
  const policy = await loadPolicy(fileURLToPath(new URL("test/fixtures/manifests/policies/team-rules.yaml", REPO_ROOT)));
  const file = "test/fixtures/manifests/helm/shop.yaml";
  const documents = readManifests(readFileSync(new URL(file, REPO_ROOT), "utf8"), file).documents;
  const { report } = checkDocuments(documents, { policy, baseCatalog: undefined, namespace: "default", files: [file], version: "0.1.0" });
  const actions = new Set(report.objects.flatMap((o) => o.findings.map((f) => f.action)));
  assert.deepEqual([...actions].sort(), ["audit", "deny", "warn"]);
  assertValidSarif(toSarif(report, { baseDir: fileURLToPath(REPO_ROOT) }));
});
