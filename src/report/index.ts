// The printers of `kuma-guard check` (and `audit`), by --format name: each prints a Report.
// A printer is loaded only when its format is asked for (xmlbuilder2 alone costs more at
// start-up than the rest of the printers together).
import type { Format, Report } from "./model.js";

export { FORMATS } from "./model.js";
export type { Format } from "./model.js";

export interface FormatOptions {
  /** Text only: ANSI colors. */
  color: boolean;
}

/** The report in one format, ready for stdout. */
export async function formatReport(report: Report, format: Format, options: FormatOptions = { color: false }): Promise<string> {
  switch (format) {
    case "json":
      return (await import("./json.js")).formatJson(report);
    case "junit":
      return (await import("./junit.js")).formatJunit(report);
    case "sarif":
      return (await import("./sarif.js")).formatSarif(report);
    case "github":
      return (await import("./github.js")).formatGithub(report);
    case "text":
      return (await import("./text.js")).formatText(report, { color: options.color });
  }
}
