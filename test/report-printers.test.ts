import { test } from "node:test";
import assert from "node:assert/strict";
import { formatText, shouldColor } from "../src/report/text.js";
import { toJsonReport, formatJson } from "../src/report/json.js";
import { formatReport, FORMATS } from "../src/report/index.js";
import { sortFindings, summarize } from "../src/report/model.js";
import type { Report } from "../src/report/model.js";
import { sampleReport } from "./support/report-sample.js";

// The text and JSON printers over a hand-built report: grouping, marks, summary, exact JSON fields.

test("text groups findings under their object with file:line, deny first", () => {
  const text = formatText(sampleReport());
  assert.equal(
    text,
    [
      "Deployment shop/web  (deploy/app.yaml:12)",
      '  ✖ deny   direct-access: entry " b" is padded',
      "  ⚠ warn   annotation-unknown: Kuma does not read kuma.io/sidcar-env-vars",
      "  · audit  exclude-ports: spaces fail with Kuma CNI",
      "",
      "Namespace shop  (deploy/app.yaml:1)",
      '  ✖ deny   sidecar-injection: <bad> & "quoted"',
      "",
      "Pod shop/p  (<stdin>:3)",
      "  ⚠ warn   internal-error: fake-rule failed: boom",
      "",
      "4 objects checked in 3 files (2 documents of other kinds skipped): 2 denied, 2 warnings, 1 audited",
      "",
    ].join("\n"),
  );
});

test("text without findings is only the summary line", () => {
  const report: Report = { ...sampleReport(), objects: [], files: ["a.yaml"], skipped: 1 };
  assert.equal(formatText(report), "0 objects checked in 1 file (1 document of other kinds skipped): 0 denied, 0 warnings, 0 audited\n");
});

test("text colors only on request, and NO_COLOR or a pipe turn colors off", () => {
  assert.doesNotMatch(formatText(sampleReport()), /\u001b\[/);
  assert.match(formatText(sampleReport(), { color: true }), /\u001b\[31m✖ deny/);
  assert.equal(shouldColor(true, {}), true);
  assert.equal(shouldColor(true, { NO_COLOR: "1" }), false);
  assert.equal(shouldColor(false, {}), false);
  assert.equal(shouldColor(undefined, {}), false);
  assert.equal(shouldColor(true, { NO_COLOR: "" }), true, "an empty NO_COLOR does not count (no-color.org)");
});

test("json is DESIGN's document: summary and findings with exactly the listed fields", () => {
  const json = toJsonReport(sampleReport());
  assert.deepEqual(Object.keys(json), ["summary", "findings"]);
  assert.deepEqual(json.summary, { denied: 2, warned: 2, audited: 1 });
  assert.equal(json.findings.length, 5);
  for (const finding of json.findings) {
    assert.deepEqual(Object.keys(finding).sort(), ["action", "file", "kind", "line", "message", "name", "namespace", "ruleId", "severity"]);
  }
  assert.deepEqual(json.findings[0], {
    ruleId: "direct-access",
    action: "deny",
    severity: "error",
    kind: "Deployment",
    namespace: "shop",
    name: "web",
    file: "deploy/app.yaml",
    line: 12,
    message: 'entry " b" is padded',
  });
  assert.deepEqual(JSON.parse(formatJson(sampleReport())), json);
});

test("summary counts every action; sortFindings orders deny, warn, audit and keeps rule order", () => {
  assert.deepEqual(summarize(sampleReport()), { denied: 2, warned: 2, audited: 1 });
  const sorted = sortFindings([
    { ruleId: "a", action: "audit", severity: "error", message: "" },
    { ruleId: "b", action: "warn", severity: "error", message: "" },
    { ruleId: "c", action: "deny", severity: "error", message: "" },
    { ruleId: "d", action: "warn", severity: "error", message: "" },
  ]);
  assert.deepEqual(
    sorted.map((f) => f.ruleId),
    ["c", "b", "d", "a"],
  );
});

test("every format prints something that ends with a newline", async () => {
  for (const format of FORMATS) assert.match(await formatReport(sampleReport(), format), /\n$/, format);
});
