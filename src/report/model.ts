// The one result model of `kuma-guard check`; every printer (text, json, junit, sarif) reads it
// and nothing else, so they cannot disagree about what was found.
import type { Severity } from "../rules/types.js";

/** Actions that reach a report: `off` findings are never produced. */
export type ReportAction = "deny" | "warn" | "audit";

/** Rule id of a finding that stands for an exception inside a rule (a kuma-guard bug). */
export const INTERNAL_ERROR_RULE = "internal-error";

/** The name a finding read from standard input carries as its file. */
export const STDIN_FILE = "<stdin>";

export interface ReportFinding {
  ruleId: string;
  action: ReportAction;
  severity: Severity;
  message: string;
  /** Field path inside the object, when the rule gave one. */
  path?: string;
}

/** One checked object (a routed kind) with its findings, deny first. */
export interface ReportObject {
  kind: string;
  /** "" for cluster-scoped objects (Namespace). */
  namespace: string;
  name: string;
  file: string;
  /** 1-based line of the object's `kind:` key. */
  line: number;
  findings: ReportFinding[];
}

export interface RuleInfo {
  id: string;
  summary: string;
  /** Built-in rules have a docs page; custom rules come from the user's policy. */
  builtIn: boolean;
}

export interface Report {
  tool: { name: string; version: string };
  /** Every input file read, in the order read (stdin as STDIN_FILE). */
  files: string[];
  /** Every checked object, in input order, with or without findings. */
  objects: ReportObject[];
  /** Documents of kinds kuma-guard does not check (Service, ConfigMap, …). */
  skipped: number;
  /** The rules the policy evaluated, plus internal-error. */
  rules: RuleInfo[];
}

export interface Summary {
  denied: number;
  warned: number;
  audited: number;
}

const ACTION_ORDER: Readonly<Record<ReportAction, number>> = { deny: 0, warn: 1, audit: 2 };

/** Findings of one object in report order: deny, warn, audit; rule order kept within each. */
export function sortFindings(findings: readonly ReportFinding[]): ReportFinding[] {
  return findings
    .map((finding, index) => ({ finding, index }))
    .sort((a, b) => ACTION_ORDER[a.finding.action] - ACTION_ORDER[b.finding.action] || a.index - b.index)
    .map(({ finding }) => finding);
}

/** Counts of findings per action over the whole report. */
export function summarize(report: Report): Summary {
  const summary: Summary = { denied: 0, warned: 0, audited: 0 };
  for (const object of report.objects) {
    for (const finding of object.findings) {
      if (finding.action === "deny") summary.denied++;
      else if (finding.action === "warn") summary.warned++;
      else summary.audited++;
    }
  }
  return summary;
}

/** "Deployment shop/web", "Namespace shop". */
export function describeObject(object: Pick<ReportObject, "kind" | "namespace" | "name">): string {
  return `${object.kind} ${object.namespace ? `${object.namespace}/` : ""}${object.name}`;
}

/** Every finding with its object, in report order. */
export function flatFindings(report: Report): { object: ReportObject; finding: ReportFinding }[] {
  return report.objects.flatMap((object) => object.findings.map((finding) => ({ object, finding })));
}

/** The docs page of a built-in rule. */
export function ruleDocsUrl(ruleId: string): string {
  return `https://github.com/kuma-guard/kuma-guard/blob/main/docs/rules/${ruleId}.md`;
}
