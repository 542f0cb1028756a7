// `--format github`: GitHub Actions workflow commands, as conftest's `github` output prints
// them. The runner turns each `::error file=…,line=…::` line into an annotation on the diff;
// deny is an error, warn a warning, audit a notice. A closing plain line keeps the log readable.
import { describeObject, flatFindings, STDIN_FILE, summaryLine } from "./model.js";
import type { Report, ReportAction } from "./model.js";

const COMMANDS: Readonly<Record<ReportAction, string>> = { deny: "error", warn: "warning", audit: "notice" };

export function formatGithub(report: Report): string {
  const lines = flatFindings(report).map(({ object, finding }) => {
    const properties: [string, string | number][] = [];
    // Standard input has no file in the repository: the annotation goes to the run's summary.
    if (object.file !== STDIN_FILE) properties.push(["file", object.file], ["line", object.line]);
    if (object.file !== STDIN_FILE && object.column !== undefined) properties.push(["col", object.column]);
    properties.push(["title", `kuma-guard ${finding.code ?? finding.ruleId}`]);
    const where = object.kind === "" ? "" : `${describeObject(object)}: `;
    const props = properties.map(([key, value]) => `${key}=${escapeProperty(String(value))}`).join(",");
    return `::${COMMANDS[finding.action]} ${props}::${escapeData(`${where}${finding.message}`)}`;
  });
  lines.push(summaryLine(report));
  return `${lines.join("\n")}\n`;
}

/** The runner's escaping of a command's message (actions/toolkit's escapeData). */
export function escapeData(value: string): string {
  return value.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** The runner's escaping of a property value (actions/toolkit's escapeProperty): also `:` and `,`. */
export function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, "%3A").replace(/,/g, "%2C");
}
