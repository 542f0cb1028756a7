// JUnit XML for CI test tabs (GitLab, Jenkins, Azure): one <testsuite> per input file, one
// <testcase> per checked object, one <failure> per denied finding. Warnings and audits do not
// fail a test; they are listed in the testcase's <system-out>.
import { describeObject } from "./model.js";
import type { Report, ReportObject } from "./model.js";

/** The report as JUnit XML. `tests` counts objects; `failures` counts objects with a denial. */
export function formatJunit(report: Report): string {
  const byFile = new Map<string, ReportObject[]>(report.files.map((file) => [file, []]));
  for (const object of report.objects) {
    const objects = byFile.get(object.file) ?? [];
    objects.push(object);
    byFile.set(object.file, objects);
  }
  const failed = (object: ReportObject) => object.findings.some((f) => f.action === "deny");
  const total = report.objects.length;
  const totalFailed = report.objects.filter(failed).length;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="kuma-guard" tests="${total}" failures="${totalFailed}" errors="0">`);
  for (const [file, objects] of byFile) {
    const suiteFailed = objects.filter(failed).length;
    out.push(`  <testsuite name="${attr(file)}" tests="${objects.length}" failures="${suiteFailed}" errors="0" skipped="0">`);
    for (const object of objects) {
      const name = `${describeObject(object)} (line ${object.line})`;
      const denials = object.findings.filter((f) => f.action === "deny");
      const others = object.findings.filter((f) => f.action !== "deny");
      if (denials.length === 0 && others.length === 0) {
        out.push(`    <testcase classname="${attr(file)}" name="${attr(name)}"/>`);
        continue;
      }
      out.push(`    <testcase classname="${attr(file)}" name="${attr(name)}">`);
      for (const f of denials) {
        const message = `${f.ruleId}: ${f.message}`;
        const body = `${message}\n${file}:${object.line}${f.path ? ` ${f.path}` : ""}`;
        out.push(`      <failure type="${attr(f.ruleId)}" message="${attr(message)}">${text(body)}</failure>`);
      }
      if (others.length > 0) {
        const lines = others.map((f) => `${f.action} ${f.ruleId}: ${f.message}`).join("\n");
        out.push(`      <system-out>${text(lines)}</system-out>`);
      }
      out.push("    </testcase>");
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>");
  return `${out.join("\n")}\n`;
}

/** Characters XML 1.0 cannot carry at all, even escaped: dropped. */
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function text(value: string): string {
  return value.replace(INVALID_XML, "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Attribute values also escape quotes and keep line breaks (a raw newline would be normalized to a space). */
function attr(value: string): string {
  return text(value).replace(/"/g, "&quot;").replace(/'/g, "&apos;").replace(/\n/g, "&#10;").replace(/\r/g, "&#13;").replace(/\t/g, "&#9;");
}
