// The printers of `kuma-guard check` (and `audit`), by --format name: each prints a Report.
import { formatGithub } from "./github.js";
import { formatJson } from "./json.js";
import { formatJunit } from "./junit.js";
import { formatSarif } from "./sarif.js";
import { formatText } from "./text.js";
import type { Format, Report } from "./model.js";

export { FORMATS } from "./model.js";
export type { Format } from "./model.js";

export interface FormatOptions {
  /** Text only: ANSI colors. */
  color: boolean;
}

/** The report in one format, ready for stdout. */
export function formatReport(report: Report, format: Format, options: FormatOptions = { color: false }): string {
  switch (format) {
    case "json":
      return formatJson(report);
    case "junit":
      return formatJunit(report);
    case "sarif":
      return formatSarif(report);
    case "github":
      return formatGithub(report);
    case "text":
      return formatText(report, { color: options.color });
  }
}
