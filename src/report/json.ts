// `--format json`: DESIGN.md's document, every action except off. `code` and `params` appear
// when the finding has them, `column` when known (syntax errors).
import { flatFindings, summarize } from "./model.js";
import type { Report, ReportAction, Summary } from "./model.js";
import type { Severity } from "../rules/types.js";

export interface JsonFinding {
  ruleId: string;
  code?: string;
  action: ReportAction;
  severity: Severity;
  kind: string;
  namespace: string;
  name: string;
  file: string;
  line: number;
  column?: number;
  message: string;
  params?: Record<string, string | number>;
}

export interface JsonReport {
  summary: Summary;
  findings: JsonFinding[];
}

export function toJsonReport(report: Report): JsonReport {
  return {
    summary: summarize(report),
    findings: flatFindings(report).map(({ object, finding }) => ({
      ruleId: finding.ruleId,
      ...(finding.code === undefined ? {} : { code: finding.code }),
      action: finding.action,
      severity: finding.severity,
      kind: object.kind,
      namespace: object.namespace,
      name: object.name,
      file: object.file,
      line: object.line,
      ...(object.column === undefined ? {} : { column: object.column }),
      message: finding.message,
      ...(finding.params === undefined ? {} : { params: finding.params }),
    })),
  };
}

export function formatJson(report: Report): string {
  return `${JSON.stringify(toJsonReport(report), null, 2)}\n`;
}
