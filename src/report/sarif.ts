// SARIF 2.1.0 for code scanning (GitHub `upload-sarif`, GitLab, Azure DevOps): one run, the
// policy's rules in tool.driver.rules, one result per finding located at the object's `kind:` line.
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { Location, Log, ReportingDescriptor, Result } from "sarif";
import { pathToFileURL } from "node:url";
import { describeObject, flatFindings, ruleDocsUrl, STDIN_FILE } from "./model.js";
import type { Report, ReportAction } from "./model.js";

export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI = "https://github.com/kuma-guard/kuma-guard";

const LEVELS: Readonly<Record<ReportAction, Result.level>> = { deny: "error", warn: "warning", audit: "note" };

export interface SarifOptions {
  /** Directory artifact URIs are made relative to (the repository root in CI): default the cwd. */
  baseDir?: string;
}

/** The report as a SARIF 2.1.0 log (an object; formatSarif serializes it). */
export function toSarif(report: Report, options: SarifOptions = {}): Log {
  const baseDir = options.baseDir ?? process.cwd();
  const ruleIndex = new Map(report.rules.map((rule, index) => [rule.id, index]));
  const rules = report.rules.map(
    (rule): ReportingDescriptor => ({
      id: rule.id,
      shortDescription: { text: rule.summary },
      ...(rule.builtIn ? { helpUri: ruleDocsUrl(rule.id) } : {}),
    }),
  );
  const results = flatFindings(report).map(({ object, finding }): Result => {
    const index = ruleIndex.get(finding.ruleId);
    const region = { startLine: object.line, ...(object.column === undefined ? {} : { startColumn: object.column }) };
    const physical: Location =
      object.file === STDIN_FILE ? {} : { physicalLocation: { artifactLocation: { uri: toArtifactUri(object.file, baseDir) }, region } };
    // An unreadable input has no object: only the file locates it.
    const logical: Location =
      object.kind === "" ? {} : { logicalLocations: [{ fullyQualifiedName: describeObject(object), kind: "resource" }] };
    return {
      ruleId: finding.ruleId,
      ...(index === undefined ? {} : { ruleIndex: index }),
      level: LEVELS[finding.action],
      message: { text: object.kind === "" ? finding.message : `${describeObject(object)}: ${finding.message}` },
      locations: [{ ...physical, ...logical }],
      properties: {
        action: finding.action,
        severity: finding.severity,
        ...(finding.path ? { path: finding.path } : {}),
        ...(finding.code === undefined ? {} : { code: finding.code }),
        ...(finding.params === undefined ? {} : { params: finding.params }),
      },
    };
  });
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: report.tool.name, version: report.tool.version, informationUri: INFORMATION_URI, rules } },
        results,
      },
    ],
  };
}

export function formatSarif(report: Report, options: SarifOptions = {}): string {
  return `${JSON.stringify(toSarif(report, options), null, 2)}\n`;
}

/** A relative URI (forward slashes, percent-encoded) under baseDir, else an absolute file: URI. */
export function toArtifactUri(file: string, baseDir: string): string {
  const absolute = resolve(baseDir, file);
  const rel = relative(baseDir, absolute);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return pathToFileURL(absolute).href;
  return rel.split(sep).map(encodeURIComponent).join("/");
}
