// JUnit XML for CI test tabs (GitLab, Jenkins, Azure): one <testsuite> per input file, one
// <testcase> per checked object, one <failure> per denied finding. Warnings and audits do not
// fail a test; they are listed in the testcase's <system-out>. Written with xmlbuilder2, which
// escapes text and attributes; characters XML 1.0 cannot carry at all are dropped.
import { create } from "xmlbuilder2";
import type { XMLBuilder } from "xmlbuilder2/lib/interfaces.js";
import { describeObject } from "./model.js";
import type { Report, ReportFinding, ReportObject } from "./model.js";

/** The report as JUnit XML. `tests` counts objects; `failures` counts objects with a denial. */
export function formatJunit(report: Report): string {
  const byFile = new Map<string, ReportObject[]>(report.files.map((file) => [file, []]));
  for (const object of report.objects) {
    const objects = byFile.get(object.file) ?? [];
    objects.push(object);
    byFile.set(object.file, objects);
  }
  const failed = (object: ReportObject) => object.findings.some((f) => f.action === "deny");
  const doc = create({ version: "1.0", encoding: "UTF-8", invalidCharReplacement: "" });
  const suites = doc.ele("testsuites", {
    name: "kuma-guard",
    tests: report.objects.length,
    failures: report.objects.filter(failed).length,
    errors: 0,
  });
  for (const [file, objects] of byFile) {
    const suite = suites.ele("testsuite", {
      name: file,
      tests: objects.length,
      failures: objects.filter(failed).length,
      errors: 0,
      skipped: 0,
    });
    for (const object of objects) addTestcase(suite, file, object);
  }
  return `${doc.end({ prettyPrint: true, indent: "  ", newline: "\n", wellFormed: false })}\n`;
}

function addTestcase(suite: XMLBuilder, file: string, object: ReportObject): void {
  const testcase = suite.ele("testcase", { classname: file, name: `${describeObject(object)} (line ${object.line})` });
  const label = (f: ReportFinding) => f.code ?? f.ruleId;
  for (const f of object.findings.filter((f) => f.action === "deny")) {
    const message = `${label(f)}: ${f.message}`;
    testcase.ele("failure", { type: f.ruleId, message }).txt(`${message}\n${file}:${object.line}${f.path ? ` ${f.path}` : ""}`);
  }
  const others = object.findings.filter((f) => f.action !== "deny");
  if (others.length > 0) testcase.ele("system-out").txt(others.map((f) => `${f.action} ${label(f)}: ${f.message}`).join("\n"));
}
