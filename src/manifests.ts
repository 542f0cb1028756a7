// Reading Kubernetes manifests (multi-document YAML or JSON) into plain objects with their
// position, and turning ContainerPatch objects into what the catalog keeps.
// Shared by the ContainerPatch catalogs and the `check` CLI. Everything here is total: bad
// input becomes a ManifestError, never an exception.
//
// YAML is read as kubectl reads it: Kubernetes converts YAML to JSON with go-yaml v2 (through
// sigs.k8s.io/yaml), which resolves plain scalars per YAML 1.1 (yes/no/on/off/y/n are booleans,
// 0777 is octal), lets a later duplicate key win, keeps timestamps and 1:20 as strings, and
// does not check the indentation of a quoted scalar's continuation lines. The `yaml` package
// does all of it (with the options below) except the last, which Kuma's own docs rely on
// (a multi-line '…' value closed at the key's indentation): a document that `yaml` rejects is
// read again by js-yaml, lenient there, with the same scalar resolution.
import { createRequire } from "node:module";
import { LineCounter, parseAllDocuments, isMap, isSeq, isScalar, Schema } from "yaml";
import type { Document, Node as YamlNode, ParseOptions, DocumentOptions, SchemaOptions, Tags } from "yaml";
import { MAX_MANIFEST_FILE_BYTES, MAX_NESTING_DEPTH, pathDeeperThan, textDeeperThan } from "./limits.js";
import type { StoredContainerPatch } from "./kuma/model.js";

/** One Kubernetes object read from a file; List items come out as separate documents. */
export interface ManifestDocument {
  object: Record<string, unknown>;
  /** The file read, or with helmSources the template named by Helm's `# Source:` comment. */
  file: string;
  /** 1-based line of the object's `kind:` key, or of the document start when it has none. */
  line: number;
  /** 0-based position of the object among the file's objects (List items counted one by one). */
  index: number;
}

/** Why a document is unusable; a stable suffix of the finding code `input-error/<code>`. */
export type ManifestErrorCode = "yaml-syntax" | "not-an-object" | "too-large" | "too-deep" | "too-many-aliases";

/** Something in the file that is not a usable object: a syntax error, a scalar document. */
export interface ManifestError {
  file: string;
  /** 1-based, when known. */
  line?: number;
  /** 1-based, when known. */
  column?: number;
  code: ManifestErrorCode;
  message: string;
}

export interface ManifestReadResult {
  documents: ManifestDocument[];
  errors: ManifestError[];
}

export interface ManifestReadOptions {
  /**
   * Name documents after Helm's `# Source: chart/templates/x.yaml` comment, with lines counted
   * from that comment (for `helm template … | kuma-guard check -`, where the stream has no file).
   */
  helmSources?: boolean;
}

/** Kuma's ContainerPatch API group (pkg/plugins/resources/k8s/native/api/v1alpha1). */
export const CONTAINER_PATCH_GROUP = "kuma.io";
export const CONTAINER_PATCH_KIND = "ContainerPatch";

/** Aliases expanded per document: the yaml default, a guard against "billion laughs" input. */
const MAX_ALIAS_COUNT = 100;

/**
 * Values (objects, arrays, scalars) one document may expand to when read by the fallback
 * parser, which shares aliased nodes instead of limiting them: far above any real manifest
 * (a 3 MiB file holds under 1.5 million), and checked by a walk that stops at the limit.
 */
const MAX_EXPANDED_VALUES = 2_000_000;

/** YAML 1.1 as go-yaml v2 reads it: no sexagesimal numbers (1:20) and no timestamps (strings). */
const GO_YAML_TAGS = (tags: Tags): Tags =>
  tags.filter((tag) => typeof tag === "string" || (tag.format !== "TIME" && tag.tag !== "tag:yaml.org,2002:timestamp"));

const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: "1.1",
  customTags: GO_YAML_TAGS,
  uniqueKeys: false,
  prettyErrors: true,
};

/**
 * Every object in `text`: multi-document YAML (JSON is read as the YAML subset it is), or a
 * stream of concatenated JSON values as `kubectl` also accepts. `kind: List` and typed lists
 * (`ContainerPatchList`) are expanded into their items; empty documents are skipped; syntax
 * errors (the first per document: the others usually follow from it), non-object documents,
 * documents nested deeper than MAX_NESTING_DEPTH and files over MAX_MANIFEST_FILE_BYTES are
 * reported with their line.
 */
export function readManifests(text: string, file: string, options: ManifestReadOptions = {}): ManifestReadResult {
  const result: ManifestReadResult = { documents: [], errors: [] };
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_MANIFEST_FILE_BYTES) {
    result.errors.push({ file, code: "too-large", message: tooLargeMessage(bytes) });
    return result;
  }
  // Before parsing: the YAML parser's time grows with the square of the nesting, and ~1,000
  // levels overflow its stack.
  const deepLine = textDeeperThan(text);
  if (deepLine !== undefined) {
    result.errors.push({
      file,
      line: deepLine,
      code: "too-deep",
      message: `nests deeper than ${MAX_NESTING_DEPTH} levels; no Kubernetes object does`,
    });
    return result;
  }
  try {
    readYaml(text, file, result, options);
    if (result.errors.some((e) => e.code === "yaml-syntax") && /^\uFEFF?\s*[{[]/.test(text)) {
      const json = readJsonStream(text, file);
      if (json && json.errors.length === 0) return json;
    }
  } catch (e) {
    // Only a bug in a YAML library gets here; keep the contract (never throw) and say so.
    result.errors.push({ file, code: "yaml-syntax", message: `cannot parse: ${errorMessage(e)}` });
  }
  return result;
}

/** "is 4.2 MiB, over the 3 MiB limit …" */
export function tooLargeMessage(bytes: number): string {
  return `file is ${bytes} bytes, over the limit of ${MAX_MANIFEST_FILE_BYTES} (3 MiB: the API server refuses larger objects); split it`;
}

function readYaml(text: string, file: string, result: ManifestReadResult, options: ManifestReadOptions): void {
  const lineCounter = new LineCounter();
  const lineAt = (offset: number | undefined): number | undefined => (offset === undefined ? undefined : lineCounter.linePos(offset).line);
  const parsed = parseAllDocuments(text, { ...YAML_OPTIONS, lineCounter });
  // An empty stream (only comments or whitespace) is not an array.
  const docs: Document.Parsed[] = Array.isArray(parsed) ? parsed : [];
  for (const [n, doc] of docs.entries()) {
    const start = lineAt(doc.contents?.range[0] ?? doc.range[0]) ?? 1;
    // Helm writes `# Source: chart/templates/x.yaml` before each rendered template.
    const helmSource = options.helmSources
      ? /^ ?Source: (\S.*)$/m.exec(doc.commentBefore ?? doc.contents?.commentBefore ?? "")?.[1]
      : undefined;
    const sourceLine = helmSource === undefined ? undefined : lineAt(text.lastIndexOf("# Source:", doc.contents?.range[0] ?? doc.range[0]));
    const at = (line: number): { file: string; line: number } =>
      helmSource === undefined || sourceLine === undefined ? { file, line } : { file: helmSource, line: Math.max(1, line - sourceLine) };
    const firstError = doc.errors[0];
    if (firstError) {
      // A broken document's range ends at the error: it runs up to the next document.
      const lenient = readLenient(text.slice(doc.range[0], docs[n + 1]?.range[0] ?? text.length));
      if (lenient === undefined) {
        const position = firstError.linePos?.[0];
        result.errors.push({
          ...at(position?.line ?? start),
          ...(position ? { column: position.col } : {}),
          code: "yaml-syntax",
          message: `YAML syntax error: ${shortYamlMessage(firstError.message)}`,
        });
        continue;
      }
      if (lenient === null) continue; // empty document
      const offset = lineAt(doc.range[0]) ?? 1;
      const kindLine = lenient.kindLine === undefined ? start : offset + lenient.kindLine - 1;
      addDocument(result, at(kindLine), lenient.value, () => undefined);
      continue;
    }
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue; // empty document
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      const message = errorMessage(e);
      const aliases = /alias/i.test(message);
      result.errors.push({
        ...at(start),
        code: aliases ? "too-many-aliases" : "too-deep",
        message: aliases ? `refused: aliases expand this document too far (${message})` : `cannot read document: ${message}`,
      });
      continue;
    }
    const itemNodes = isMap(doc.contents) ? doc.contents.get("items", true) : undefined;
    addDocument(result, at(lineAt(keyOffset(doc.contents, "kind")) ?? start), value, (i) => {
      const node = isSeq(itemNodes) ? (itemNodes.items[i] as YamlNode | undefined) : undefined;
      const line = lineAt(keyOffset(node, "kind")) ?? lineAt(node?.range?.[0]);
      return line === undefined ? undefined : at(line).line;
    });
  }
}

/** Adds a document after the depth check every input gets. */
function addDocument(
  result: ManifestReadResult,
  at: { file: string; line: number },
  value: unknown,
  itemLine: (i: number) => number | undefined,
): void {
  const deep = pathDeeperThan(value, MAX_NESTING_DEPTH);
  if (deep !== undefined) {
    result.errors.push({
      ...at,
      code: "too-deep",
      message: `document nests deeper than ${MAX_NESTING_DEPTH} levels (at ${deep}); no Kubernetes object does`,
    });
    return;
  }
  collect(result, at.file, value, at.line, itemLine);
}

/**
 * Plain scalars resolved exactly as the primary parser resolves them (the same yaml-1.1 tags),
 * so that a document reads the same whichever parser took it.
 */
const PLAIN_SCALAR_TAGS = new Schema({ schema: "yaml-1.1", customTags: GO_YAML_TAGS }).tags.flatMap((tag) =>
  tag.default === true && tag.test !== undefined && tag.tag !== "tag:yaml.org,2002:str"
    ? [{ test: tag.test, resolve: tag.resolve as (source: string, onError: (message: string) => void, options: object) => unknown }]
    : [],
);

function resolvePlainScalar(text: string): { value: unknown } | undefined {
  for (const tag of PLAIN_SCALAR_TAGS) {
    if (!tag.test.test(text)) continue;
    // Some tags resolve to a Scalar node (to keep the source format), others to the value.
    const resolved = tag.resolve(text, () => {}, {});
    return { value: isScalar(resolved) ? resolved.value : resolved };
  }
  return undefined;
}

let lenient: { load: (source: string) => unknown } | undefined;

/**
 * js-yaml with go-yaml's plain scalars and `<<` merge keys, built once. Loaded only for a
 * document `yaml` rejects: most runs of `check` never need it.
 */
function lenientYaml(): { load: (source: string) => unknown } {
  if (lenient) return lenient;
  const jsYaml = createRequire(import.meta.url)("js-yaml") as typeof import("js-yaml");
  const plainScalar = new jsYaml.Type("tag:yaml.org,2002:kuma-guard-yaml-1.1-plain", {
    kind: "scalar",
    resolve: (data: unknown) => typeof data === "string" && resolvePlainScalar(data) !== undefined,
    construct: (data: string) => {
      const value = resolvePlainScalar(data)?.value;
      return typeof value === "bigint" ? Number(value) : value;
    },
  });
  // `<<` merge keys, as js-yaml's own merge type (which its typings do not export).
  const mergeKey = new jsYaml.Type("tag:yaml.org,2002:merge", {
    kind: "scalar",
    resolve: (data: unknown) => data === "<<" || data === null,
  });
  const schema = jsYaml.FAILSAFE_SCHEMA.extend({ implicit: [plainScalar, mergeKey] });
  // json: a later duplicate key wins instead of failing, as in go-yaml v2.
  return (lenient = { load: (source) => jsYaml.load(source, { schema, json: true }) });
}

/**
 * One document read by js-yaml: its value and the 1-based line of its top-level `kind:` key
 * within `source`; null for an empty document, undefined when js-yaml rejects it too (or when
 * its aliases expand too far: it shares aliased values, so the walk below bounds the expansion).
 */
function readLenient(source: string): { value: unknown; kindLine: number | undefined } | null | undefined {
  let value: unknown;
  try {
    value = lenientYaml().load(source);
  } catch {
    return undefined;
  }
  if (value === null || value === undefined) return null;
  if (expandsBeyond(value, MAX_EXPANDED_VALUES)) return undefined;
  const match = /^kind[ \t]*:/m.exec(source);
  return { value, kindLine: match ? source.slice(0, match.index).split("\n").length : undefined };
}

/** True when walking `value` (shared sub-values counted each time) meets more than `max` values. */
function expandsBeyond(value: unknown, max: number): boolean {
  const stack: unknown[] = [value];
  let count = 0;
  while (stack.length > 0) {
    if (++count > max) return true;
    const node = stack.pop();
    if (node !== null && typeof node === "object") stack.push(...(Array.isArray(node) ? node : Object.values(node)));
  }
  return false;
}

/** Concatenated JSON values (`{..}{..}` or one per line); undefined when the text is not that. */
function readJsonStream(text: string, file: string): ManifestReadResult | undefined {
  const result: ManifestReadResult = { documents: [], errors: [] };
  let line = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "\n") line++;
    if (c === " " || c === "\t" || c === "\r" || c === "\n") {
      i++;
      continue;
    }
    if (c !== "{" && c !== "[") return undefined;
    const end = endOfJsonValue(text, i);
    if (end === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text.slice(i, end));
    } catch {
      return undefined;
    }
    addDocument(result, { file, line }, value, () => undefined);
    for (let j = i; j < end; j++) if (text[j] === "\n") line++;
    i = end;
  }
  return result;
}

/** Offset just past the object or array starting at `start`, by bracket depth outside strings. */
function endOfJsonValue(text: string, start: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}

/** Adds one parsed document: an object, the items of a list, or an error. */
function collect(
  result: ManifestReadResult,
  file: string,
  value: unknown,
  line: number,
  itemLine: (i: number) => number | undefined,
): void {
  if (!isPlainObject(value)) {
    result.errors.push({ file, line, code: "not-an-object", message: `document is ${describeValue(value)}, not a Kubernetes object` });
    return;
  }
  if (!isListObject(value)) {
    result.documents.push({ object: value, file, line, index: result.documents.length });
    return;
  }
  (value["items"] as unknown[]).forEach((item, i) => {
    const at = itemLine(i) ?? line;
    if (isPlainObject(item)) result.documents.push({ object: item, file, line: at, index: result.documents.length });
    else
      result.errors.push({
        file,
        line: at,
        code: "not-an-object",
        message: `items[${i}] of ${String(value["kind"])} is ${describeValue(item)}, not a Kubernetes object`,
      });
  });
}

/** The catalog's copy of a kuma.io ContainerPatch (name, namespace, the two patch lists), else undefined. */
export function toStoredPatch(object: Record<string, unknown>, defaultNamespace: string): StoredContainerPatch | undefined {
  if (!isContainerPatch(object)) return undefined;
  const metadata = object["metadata"];
  if (!isPlainObject(metadata)) return undefined;
  const name = metadata["name"];
  if (typeof name !== "string" || name === "") return undefined;
  const namespace = typeof metadata["namespace"] === "string" && metadata["namespace"] !== "" ? metadata["namespace"] : defaultNamespace;
  const spec: StoredContainerPatch["spec"] = {};
  const rawSpec = object["spec"];
  if (isPlainObject(rawSpec)) {
    if (rawSpec["sidecarPatch"] !== undefined) spec.sidecarPatch = rawSpec["sidecarPatch"];
    if (rawSpec["initPatch"] !== undefined) spec.initPatch = rawSpec["initPatch"];
  }
  return { name, namespace, spec };
}

/** kind ContainerPatch in the kuma.io group (any version). */
export function isContainerPatch(object: Record<string, unknown>): boolean {
  const apiVersion = object["apiVersion"];
  return object["kind"] === CONTAINER_PATCH_KIND && typeof apiVersion === "string" && apiVersion.startsWith(`${CONTAINER_PATCH_GROUP}/`);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `kind: List` (kubectl get -o yaml) and typed lists (`ContainerPatchList`) with an items array. */
function isListObject(value: Record<string, unknown>): boolean {
  const kind = value["kind"];
  return typeof kind === "string" && kind.endsWith("List") && Array.isArray(value["items"]);
}

function keyOffset(node: unknown, key: string): number | undefined {
  if (!isMap(node)) return undefined;
  for (const pair of node.items) {
    if (isScalar(pair.key) && pair.key.value === key) return pair.key.range?.[0];
  }
  return undefined;
}

/** yaml's pretty messages end with " at line N, column M:" and a source excerpt; the line is reported apart. */
function shortYamlMessage(message: string): string {
  const firstLine = message.split("\n", 1)[0] ?? message;
  return firstLine.replace(/ at line \d+, column \d+:?$/, "");
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "empty";
  if (Array.isArray(value)) return "a sequence";
  return `a ${typeof value}`;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
