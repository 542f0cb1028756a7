// The one result model of `kuma-guard check`; every printer (text, json, junit, sarif) reads it
// and nothing else, so they cannot disagree about what was found.
import type { Finding, Severity } from "../rules/types.js";

/** Actions that reach a report: `off` findings are never produced. */
export type ReportAction = "deny" | "warn" | "audit";

/** Exit codes of check and audit: 2 (the run itself went wrong) wins over 1 (something would be denied). */
export const EXIT_OK = 0;
export const EXIT_DENIED = 1;
export const EXIT_USAGE = 2;

/** Report formats (--format / -o); `github` prints GitHub Actions workflow commands. */
export const FORMATS = ["text", "json", "junit", "sarif", "github"] as const;
export type Format = (typeof FORMATS)[number];

/** Rule id of a finding that stands for an exception inside a rule (a kuma-guard bug). */
export const INTERNAL_ERROR_RULE = "internal-error";

/**
 * Rule id of a finding that stands for an input kuma-guard could not read (syntax error, not an
 * object, too large or deep, unreadable file). Its own id, beside internal-error, so that code
 * scanning and CI reports show it on the file; the run exits 2 as before.
 */
export const INPUT_ERROR_RULE = "input-error";

export const INPUT_ERROR_RULE_INFO: RuleInfo = {
  id: INPUT_ERROR_RULE,
  summary: "An input kuma-guard cannot read: YAML syntax, not an object, too large or deep, unreadable file; the run exits 2",
  builtIn: false,
};

/** An input that could not be read; `code` becomes the finding's `input-error/<code>`. */
export interface InputProblem {
  file: string;
  /** 1-based, when known. */
  line?: number;
  /** 1-based, when known. */
  column?: number;
  code: string;
  message: string;
}

/** The report's entry for an unreadable input: kind "", one denying input-error finding. */
export function inputErrorObject(problem: InputProblem): ReportObject {
  return {
    kind: "",
    namespace: "",
    name: "",
    file: problem.file,
    line: problem.line ?? 1,
    ...(problem.column === undefined ? {} : { column: problem.column }),
    findings: [
      {
        ruleId: INPUT_ERROR_RULE,
        code: `${INPUT_ERROR_RULE}/${problem.code}`,
        action: "deny",
        severity: "error",
        message: problem.message,
      },
    ],
  };
}

/** The name a finding read from standard input carries as its file. */
export const STDIN_FILE = "<stdin>";

export interface ReportFinding {
  ruleId: string;
  action: ReportAction;
  severity: Severity;
  message: string;
  /** Field path inside the object, when the rule gave one. */
  path?: string;
  /** Stable `<rule-id>/<kebab-case>` of this kind of finding, when the rule gives one. */
  code?: string;
  /** The values the message was built from, by name (for tools that group or translate findings). */
  params?: Record<string, string | number>;
}

/**
 * One checked object (a routed kind) with its findings, deny first; or, with kind "", an input
 * that could not be read as objects (a file, a document), with one INPUT_ERROR_RULE finding.
 */
export interface ReportObject {
  kind: string;
  /** "" for cluster-scoped objects (Namespace). */
  namespace: string;
  name: string;
  file: string;
  /** 1-based line of the object's `kind:` key (of the error for an unreadable input). */
  line: number;
  /** 1-based column, when known (syntax errors). */
  column?: number;
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

/** "Deployment shop/web", "Namespace shop"; "unreadable input" for an input error. */
export function describeObject(object: Pick<ReportObject, "kind" | "namespace" | "name">): string {
  if (object.kind === "") return "unreadable input";
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

/** "5 objects checked in 1 file (3 documents of other kinds skipped): 1 denied, 1 warning, 0 audited". */
export function summaryLine(report: Report): string {
  const { denied, warned, audited } = summarize(report);
  const checked = `${plural(report.objects.filter((o) => o.kind !== "").length, "object")} checked in ${plural(report.files.length, "file")}`;
  const skipped = report.skipped > 0 ? ` (${plural(report.skipped, "document")} of other kinds skipped)` : "";
  return `${checked}${skipped}: ${denied} denied, ${plural(warned, "warning")}, ${audited} audited`;
}

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? "" : "s"}`;

/** A finding of the review as a report carries it, with the action the policy gave it. */
export function toReportFinding(finding: Finding, action: ReportAction): ReportFinding {
  const out: ReportFinding = { ruleId: finding.ruleId, code: finding.code, action, severity: finding.severity, message: finding.message };
  if (finding.path !== undefined) out.path = finding.path;
  if (finding.params !== undefined) out.params = finding.params;
  return out;
}

/** A verdict's findings as a report lists them; a rule that threw answers per onError, and always shows. */
export function reportFindingsOf(
  verdict: {
    denials: readonly Finding[];
    warnings: readonly Finding[];
    audits: readonly Finding[];
    failures: readonly { ruleId: string; error: unknown }[];
  },
  onError: "allow" | "deny",
): ReportFinding[] {
  return [
    ...verdict.denials.map((f) => toReportFinding(f, "deny")),
    ...verdict.warnings.map((f) => toReportFinding(f, "warn")),
    ...verdict.audits.map((f) => toReportFinding(f, "audit")),
    ...verdict.failures.map(
      (failure): ReportFinding => ({
        ruleId: INTERNAL_ERROR_RULE,
        action: onError === "deny" ? "deny" : "warn",
        severity: "error",
        message: `${failure.ruleId} failed: ${failure.error instanceof Error ? failure.error.message : String(failure.error)}`,
      }),
    ),
  ];
}
