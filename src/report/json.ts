// `--format json`: DESIGN.md's document, exactly these fields, every action except off.
import { flatFindings, summarize } from "./model.js";
import type { Report, ReportAction, Summary } from "./model.js";
import type { Severity } from "../rules/types.js";

export interface JsonFinding {
  ruleId: string;
  action: ReportAction;
  severity: Severity;
  kind: string;
  namespace: string;
  name: string;
  file: string;
  line: number;
  message: string;
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
      action: finding.action,
      severity: finding.severity,
      kind: object.kind,
      namespace: object.namespace,
      name: object.name,
      file: object.file,
      line: object.line,
      message: finding.message,
    })),
  };
}

export function formatJson(report: Report): string {
  return `${JSON.stringify(toJsonReport(report), null, 2)}\n`;
}
