// Human output: findings grouped by object with file:line, then one summary line.
import { describeObject, summaryLine } from "./model.js";
import type { Report, ReportAction } from "./model.js";

export interface TextOptions {
  /** ANSI colors: only when stdout is a terminal and NO_COLOR is unset (https://no-color.org). */
  color: boolean;
}

const MARKS: Readonly<Record<ReportAction, string>> = { deny: "✖ deny ", warn: "⚠ warn ", audit: "· audit" };
const COLORS: Readonly<Record<ReportAction, string>> = { deny: "\u001b[31m", warn: "\u001b[33m", audit: "\u001b[2m" };
const BOLD = "\u001b[1m";
const RESET = "\u001b[0m";

/** Whether to color output written to a stream, per the NO_COLOR convention. */
export function shouldColor(isTTY: boolean | undefined, env: Readonly<Record<string, string | undefined>>): boolean {
  return isTTY === true && !env["NO_COLOR"];
}

/** The text report; objects without findings are only counted in the summary line. */
export function formatText(report: Report, options: TextOptions = { color: false }): string {
  const paint = (code: string, text: string) => (options.color ? `${code}${text}${RESET}` : text);
  const lines: string[] = [];
  for (const object of report.objects) {
    if (object.findings.length === 0) continue;
    const column = object.column === undefined ? "" : `:${object.column}`;
    lines.push(`${paint(BOLD, describeObject(object))}  (${object.file}:${object.line}${column})`);
    for (const finding of object.findings) {
      lines.push(`  ${paint(COLORS[finding.action], MARKS[finding.action])}  ${finding.code ?? finding.ruleId}: ${finding.message}`);
    }
    lines.push("");
  }
  lines.push(summaryLine(report));
  return `${lines.join("\n")}\n`;
}
