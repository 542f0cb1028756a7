// `kuma-guard check`: the webhook's rules over manifest files, for CI and Helm output.
// Reads every input first (ContainerPatches in it join the catalog), then runs each routed
// document through review() as a CREATE, the same path the server takes, and prints one report.
import { readFile, stat } from "node:fs/promises";
import { review } from "./admission/review.js";
import { routeOf, toSubject } from "./admission/subjects.js";
import type { AdmissionRequest } from "./admission/types.js";
import { listManifestFiles } from "./catalog/watch-files.js";
import type { Logger } from "./catalog/watch-files.js";
import { indexPatches, viewOf } from "./catalog/types.js";
import type { CatalogView, Labels, StoredContainerPatch } from "./kuma/model.js";
import type { ControlPlaneFacts } from "./kuma/environment.js";
import { createSnapshot } from "./snapshot.js";
import type { NamespaceLabels } from "./snapshot.js";
import { readManifests, tooLargeMessage, toStoredPatch } from "./manifests.js";
import { MAX_MANIFEST_FILE_BYTES } from "./limits.js";
import type { ManifestDocument } from "./manifests.js";
import { loadPolicy } from "./policy/load.js";
import type { Policy } from "./policy/types.js";
import { BUILT_IN_RULE_IDS } from "./rules/index.js";
import { formatReport } from "./report/index.js";
import type { Format } from "./report/index.js";
import {
  EXIT_DENIED,
  EXIT_OK,
  EXIT_USAGE,
  INPUT_ERROR_RULE_INFO,
  inputErrorObject,
  INTERNAL_ERROR_RULE,
  sortFindings,
  STDIN_FILE,
  reportFindingsOf,
  summarize,
} from "./report/model.js";
import type { InputProblem, Report, ReportObject, RuleInfo } from "./report/model.js";
import { shouldColor } from "./report/text.js";

export interface CheckOptions {
  /** Files, directories (recursive: .yaml, .yml, .json) and "-" for stdin. */
  paths: readonly string[];
  /** --patches DIR: a ContainerPatch catalog read once. */
  patches?: string;
  format: Format;
  /** For documents without metadata.namespace (kubectl's default: "default"). */
  namespace: string;
}

export interface CheckDeps {
  policy: Policy;
  /** The Kuma judged against, from --kuma-version and --kuma-config (validated by the caller). */
  controlPlane?: ControlPlaneFacts;
  logger: Logger;
  version: string;
  readStdin: () => Promise<string>;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
}

/** One input's text, named as the report will name it. */
export interface InputSource {
  file: string;
  text: string;
}

/**
 * Runs the check and writes the report to stdout, problems to stderr. Returns the exit code.
 * An input that cannot be read is also part of the report (an input-error finding on its file).
 */
export async function runCheck(options: CheckOptions, deps: CheckDeps): Promise<number> {
  const problems: InputProblem[] = [];
  const { sources, errors } = await readInputs(options.paths, deps.readStdin);
  problems.push(...errors);

  const documents: ManifestDocument[] = [];
  const files: string[] = [];
  for (const source of sources) {
    // Standard input is usually `helm template` output: its `# Source:` comments name the files.
    const read = readManifests(source.text, source.file, { helmSources: source.file === STDIN_FILE });
    documents.push(...read.documents);
    problems.push(...read.errors);
    const named = new Set([...read.documents, ...read.errors].map((d) => d.file));
    files.push(...(named.size > 0 ? named : [source.file]));
  }

  let baseCatalog: CatalogView | undefined;
  if (options.patches !== undefined) {
    const unusable = await directoryProblem(options.patches);
    if (unusable !== undefined) {
      deps.stderr.write(`kuma-guard check: --patches ${options.patches}: ${unusable}\n`);
      return EXIT_USAGE;
    }
    const read = await readPatchCatalog(options.patches, deps.policy.settings.controlPlaneNamespaces, deps.readStdin);
    problems.push(...read.problems);
    baseCatalog = read.catalog;
  }
  for (const problem of problems) deps.stderr.write(`kuma-guard check: ${formatProblem(problem)}\n`);

  const { report, failures } = checkDocuments(documents, {
    policy: deps.policy,
    baseCatalog,
    namespace: options.namespace,
    files: [...new Set(files)],
    version: deps.version,
    ...(deps.controlPlane ? { controlPlane: deps.controlPlane } : {}),
  });
  report.objects.push(...problems.map(inputErrorObject));
  for (const { object, ruleId, error } of failures) {
    deps.logger.error({ err: error, ruleId, file: object.file, line: object.line }, `rule ${ruleId} failed`);
  }
  // As in the server, audited findings are logged (they are also in the report).
  for (const object of report.objects) {
    for (const finding of object.findings) {
      if (finding.action !== "audit") continue;
      deps.logger.info(
        { ruleId: finding.ruleId, kind: object.kind, namespace: object.namespace, name: object.name, file: object.file, line: object.line },
        `audit ${finding.ruleId}: ${finding.message}`,
      );
    }
  }
  deps.stdout.write(await formatReport(report, options.format, { color: shouldColor(deps.stdout.isTTY, deps.env) }));
  if (problems.length > 0) return EXIT_USAGE;
  return summarize(report).denied > 0 ? EXIT_DENIED : EXIT_OK;
}

export interface CheckEnv {
  policy: Policy;
  /** The --patches catalog, viewed with the policy's control-plane namespaces; undefined without one. */
  baseCatalog: CatalogView | undefined;
  namespace: string;
  /** Every input file, for the report (also those without a checked object). */
  files: readonly string[];
  version: string;
  /** The Kuma judged against (--kuma-version, --kuma-config); 2.14 with Helm's defaults without. */
  controlPlane?: ControlPlaneFacts;
}

export interface CheckFailure {
  object: ReportObject;
  ruleId: string;
  error: unknown;
}

/**
 * The report for already-read documents. Pure and synchronous: each routed document is
 * reviewed as a CREATE against the catalog (the --patches catalog overlaid with the input's
 * ContainerPatches); other kinds are counted as skipped.
 */
export function checkDocuments(documents: readonly ManifestDocument[], env: CheckEnv): { report: Report; failures: CheckFailure[] } {
  const { policy } = env;
  // One snapshot for the whole run: every document shares the catalog's readings and chains.
  const snapshot = createSnapshot(policy, catalogFor(documents, env), namespacesIn(documents), env.controlPlane);
  const objects: ReportObject[] = [];
  const failures: CheckFailure[] = [];
  let skipped = 0;
  for (const doc of documents) {
    const request = toCreateRequest(doc.object, env.namespace);
    if (!routeOf(request.kind.group, request.kind.kind)) {
      skipped++;
      continue;
    }
    const verdict = review(request, { snapshot });
    const findings = reportFindingsOf(verdict, policy.onError);
    const object: ReportObject = {
      kind: request.kind.kind,
      namespace: request.namespace,
      name: request.name,
      file: doc.file,
      line: doc.line,
      findings: sortFindings(findings),
    };
    objects.push(object);
    for (const failure of verdict.failures) failures.push({ object, ruleId: failure.ruleId, error: failure.error });
  }
  const builtIn = new Set(BUILT_IN_RULE_IDS);
  const rules: RuleInfo[] = [
    ...policy.rules.map((rule) => ({ id: rule.id, summary: rule.summary, builtIn: builtIn.has(rule.id) })),
    {
      id: INTERNAL_ERROR_RULE,
      summary: "A rule failed with an exception (a kuma-guard bug); answered per the policy's onError",
      builtIn: false,
    },
    INPUT_ERROR_RULE_INFO,
  ];
  return { report: { tool: { name: "kuma-guard", version: env.version }, files: [...env.files], objects, skipped, rules }, failures };
}

/**
 * The catalog the workloads are checked against. Input ContainerPatches in a control-plane
 * namespace overlay the --patches catalog (a name in the input wins: it is the version being
 * applied) and make the catalog "configured"; patches elsewhere never join (patch-namespace
 * reports them, as Kuma never reads them). Without either, workload-missing-patch is advisory.
 */
export function catalogFor(
  documents: readonly ManifestDocument[],
  env: Pick<CheckEnv, "policy" | "baseCatalog" | "namespace">,
): CatalogView {
  const namespaces = env.policy.settings.controlPlaneNamespaces;
  const index = indexPatches(
    documents
      .map((doc) => toStoredPatch(doc.object, env.namespace))
      .filter((patch): patch is StoredContainerPatch => patch !== undefined && namespaces.includes(patch.namespace)),
  );
  const input = viewOf(index, namespaces);
  const base = env.baseCatalog;
  return {
    configured: index.size > 0 || base?.configured === true,
    get: (name) => input.get(name) ?? base?.get(name),
  };
}

/** The AdmissionRequest the API server would send for `kubectl create` of this object. */
export function toCreateRequest(object: Record<string, unknown>, defaultNamespace: string): AdmissionRequest {
  const apiVersion = typeof object["apiVersion"] === "string" ? object["apiVersion"] : "";
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  const kind = typeof object["kind"] === "string" ? object["kind"] : "";
  const metadata = isRecord(object["metadata"]) ? object["metadata"] : {};
  const name = stringOr(metadata["name"], stringOr(metadata["generateName"], ""));
  const namespace = kind === "Namespace" ? "" : stringOr(metadata["namespace"], defaultNamespace);
  return { uid: "", kind: { group, version, kind }, namespace, name, operation: "CREATE", object, oldObject: null, dryRun: true };
}

/**
 * The text of every input: "-" is stdin (read once), a directory contributes its .yaml/.yml/.json
 * files recursively (sorted; hidden names skipped), any other path is read as a manifest.
 * A path given twice is read once. Problems are returned as messages, never thrown.
 */
export async function readInputs(
  paths: readonly string[],
  readStdin: () => Promise<string>,
): Promise<{ sources: InputSource[]; errors: InputProblem[] }> {
  const sources: InputSource[] = [];
  const errors: InputProblem[] = [];
  const seen = new Set<string>();
  const addFile = async (file: string): Promise<void> => {
    if (seen.has(file)) return;
    seen.add(file);
    try {
      // Checked before reading, so that a huge file is refused without filling memory.
      const { size } = await stat(file);
      if (size > MAX_MANIFEST_FILE_BYTES) errors.push({ file, code: "too-large", message: tooLargeMessage(size) });
      else sources.push({ file, text: await readFile(file, "utf8") });
    } catch (e) {
      errors.push({ file, code: "unreadable-file", message: `cannot be read: ${fsMessage(e)}` });
    }
  };
  for (const path of paths) {
    if (path === "-") {
      if (seen.has(STDIN_FILE)) continue;
      seen.add(STDIN_FILE);
      try {
        sources.push({ file: STDIN_FILE, text: await readStdin() });
      } catch (e) {
        errors.push({ file: STDIN_FILE, code: "unreadable-file", message: `standard input cannot be read: ${errorMessage(e)}` });
      }
      continue;
    }
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch (e) {
      errors.push({ file: path, code: "unreadable-file", message: `cannot be read: ${fsMessage(e)}` });
      continue;
    }
    if (!isDirectory) {
      await addFile(path);
      continue;
    }
    let files;
    try {
      files = await listManifestFiles(path);
    } catch (e) {
      errors.push({ file: path, code: "unreadable-file", message: `cannot be read: ${fsMessage(e)}` });
      continue;
    }
    // An empty directory is a mistake in a CI job (wrong path), not a clean result.
    if (files.length === 0)
      errors.push({ file: path, code: "empty-directory", message: "no .yaml, .yml or .json files in this directory" });
    for (const file of files) await addFile(file.path);
  }
  return { sources, errors };
}

/**
 * The --patches directory, read like the inputs so that a broken file is an input problem
 * (exit 2). A patch without a namespace is taken to be in the first control-plane namespace,
 * as the server's directory catalog does.
 */
async function readPatchCatalog(
  dir: string,
  namespaces: readonly string[],
  readStdin: () => Promise<string>,
): Promise<{ catalog: CatalogView; problems: InputProblem[] }> {
  const { sources, errors } = await readInputs([dir], readStdin);
  const problems = [...errors];
  const patches: StoredContainerPatch[] = [];
  for (const source of sources) {
    const read = readManifests(source.text, source.file);
    problems.push(...read.errors);
    for (const doc of read.documents) {
      const patch = toStoredPatch(doc.object, namespaces[0] ?? "");
      if (patch) patches.push(patch);
    }
  }
  return { catalog: viewOf(indexPatches(patches), namespaces), problems };
}

/** The stderr form of a problem: `FILE:LINE: message`. */
const formatProblem = (p: InputProblem): string => `${p.file}${p.line === undefined ? "" : `:${p.line}`}: ${p.message}`;

/** Why `dir` cannot serve as a catalog directory, or undefined when it can. */
async function directoryProblem(dir: string): Promise<string | undefined> {
  try {
    return (await stat(dir)).isDirectory() ? undefined : "not a directory";
  } catch (e) {
    return `cannot be read: ${fsMessage(e)}`;
  }
}

/** All of standard input as UTF-8. */
export async function readStream(stream: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const stringOr = (value: unknown, fallback: string): string => (typeof value === "string" && value !== "" ? value : fallback);

const FS_MESSAGES: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EISDIR: "is a directory",
  ENOTDIR: "not a directory",
};

function fsMessage(e: unknown): string {
  const code = isRecord(e) && typeof e["code"] === "string" ? e["code"] : undefined;
  return (code && FS_MESSAGES[code]) ?? errorMessage(e);
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The policy for a check: the file given with --policy, else the bundled policies/default.yaml.
 * Throws (PolicyLoadError) with lines that name the file and the field.
 */
export async function loadCheckPolicy(file: string | undefined): Promise<Policy> {
  return loadPolicy(file);
}

/** The labels of the Namespaces in the input: workloads in them are judged as Kuma's injector would treat them. */
function namespacesIn(documents: readonly ManifestDocument[]): NamespaceLabels {
  const labels = new Map<string, Labels>();
  for (const doc of documents) {
    const subject = doc.object.kind === "Namespace" ? toSubject("Namespace", doc.object, "") : undefined;
    if (subject) labels.set(subject.meta.name, subject.meta.labels);
  }
  return (namespace) => labels.get(namespace);
}
