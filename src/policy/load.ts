import { readFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import type { ValidateFunction } from "ajv/dist/2020.js";
import { parseAllDocuments } from "yaml";
import { MAX_MANIFEST_FILE_BYTES, MAX_NESTING_DEPTH, pathDeeperThan, textDeeperThan } from "../limits.js";
import { BUILT_IN_RULE_IDS } from "../rules/index.js";
import { compilePolicy } from "./compile.js";
import type { CompileOptions, PolicyDocument } from "./compile.js";
import { describeAjvErrors, PolicyLoadError } from "./errors.js";
import { BUNDLED_POLICY, findPackageFile } from "./package-files.js";
import { validate as generatedValidator } from "./policy-schema-validator.js";
import type { Policy } from "./types.js";

// Policy file → text → YAML → schema check → compiled Policy. Every problem becomes a
// PolicyLoadError line that names the file and the field (or line, for YAML syntax).

/** schemas/policy.schema.json, compiled by `npm run docs` (ajv standalone code): no compiler at start-up. */
const validatePolicySchema = generatedValidator as ValidateFunction;

/** The path of the bundled policies/default.yaml. */
export function bundledPolicyPath(): Promise<string> {
  return findPackageFile(BUNDLED_POLICY);
}

/**
 * Parses, validates and compiles policy text. `source` names the file in every message
 * (as the user gave it). Throws PolicyLoadError.
 */
export async function parsePolicy(text: string, source: string, options: CompileOptions = {}): Promise<Policy> {
  const document = parsePolicyYaml(text, source);
  if (!validatePolicySchema(document)) {
    const lines = describeAjvErrors(validatePolicySchema.errors ?? [], { ruleIds: BUILT_IN_RULE_IDS });
    throw new PolicyLoadError(lines.map((line) => `${source}: ${line}`));
  }
  const fallbackName = basename(source, extname(source));
  return compilePolicy(document as PolicyDocument, source, { fallbackName, ...options });
}

/** Reads and compiles a policy file; without `file`, the bundled default. Throws PolicyLoadError (also for an unreadable file). */
export async function loadPolicy(file?: string): Promise<Policy> {
  const path = file ?? (await bundledPolicyPath());
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new PolicyLoadError([`${path}: cannot read the policy file: ${describeFsError(cause)}`]);
  }
  return parsePolicy(text, path);
}

export function describeFsError(cause: unknown): string {
  const code = (cause as { code?: unknown } | null)?.code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "is a directory";
  return cause instanceof Error ? cause.message : String(cause);
}

/** The one YAML (or JSON) document of a policy file, or a PolicyLoadError with `file:line:column`. */
function parsePolicyYaml(text: string, source: string): unknown {
  if (text.length > MAX_MANIFEST_FILE_BYTES)
    throw new PolicyLoadError([`${source}: larger than ${MAX_MANIFEST_FILE_BYTES} bytes; a policy is a few KB`]);
  const deepLine = textDeeperThan(text);
  if (deepLine !== undefined) throw new PolicyLoadError([`${source}:${deepLine}: nests deeper than ${MAX_NESTING_DEPTH} levels`]);
  const documents = parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(documents) ? documents : [];
  const problems: string[] = [];
  for (const doc of list) {
    for (const error of doc.errors) {
      const at = error.linePos?.[0];
      const where = at ? `${source}:${at.line}:${at.col}` : source;
      const text = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      problems.push(`${where}: YAML syntax error: ${text}`);
    }
  }
  if (problems.length > 0) throw new PolicyLoadError(problems);
  const nonEmpty = list.filter((doc) => doc.contents !== null);
  if (nonEmpty.length === 0) throw new PolicyLoadError([`${source}: the file is empty; expected a kuma-guard.io/v1alpha1 Policy`]);
  if (nonEmpty.length > 1)
    throw new PolicyLoadError([`${source}: holds ${nonEmpty.length} YAML documents; a policy file holds exactly one Policy`]);
  let value: unknown;
  try {
    value = nonEmpty[0]!.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (e) {
    // The yaml library throws on an alias bomb ("Excessive alias count …").
    throw new PolicyLoadError([`${source}: ${e instanceof Error ? e.message : String(e)}`]);
  }
  // Aliases can nest deeper than the text shows.
  const deep = pathDeeperThan(value);
  if (deep !== undefined) throw new PolicyLoadError([`${source}: ${deep}: nests deeper than ${MAX_NESTING_DEPTH} levels`]);
  return value;
}
