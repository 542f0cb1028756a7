// The printers of `kuma-guard check`, by --format name.
import { formatJson } from "./json.js";
import { formatJunit } from "./junit.js";
import { formatSarif } from "./sarif.js";
import { formatText } from "./text.js";
import type { Report } from "./model.js";

export const FORMATS = ["text", "json", "junit", "sarif"] as const;
export type Format = (typeof FORMATS)[number];

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
    case "text":
      return formatText(report, { color: options.color });
  }
}
