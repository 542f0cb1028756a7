// Reading Kubernetes manifests (multi-document YAML or JSON) into plain objects with their
// position, and turning ContainerPatch objects into what the catalog keeps.
// Shared by the ContainerPatch catalogs and the `check` CLI. Everything here is total: bad
// input becomes a ManifestError, never an exception.
import { LineCounter, parseAllDocuments, isMap, isSeq, isScalar } from "yaml";
import type { Document, Node as YamlNode } from "yaml";
import type { StoredContainerPatch } from "./kuma/model.js";

/** One Kubernetes object read from a file; List items come out as separate documents. */
export interface ManifestDocument {
  object: Record<string, unknown>;
  file: string;
  /** 1-based line of the object's `kind:` key, or of the document start when it has none. */
  line: number;
  /** 0-based position of the object among the file's objects (List items counted one by one). */
  index: number;
}

/** Something in the file that is not a usable object: a syntax error, a scalar document. */
export interface ManifestError {
  file: string;
  /** 1-based, when known. */
  line?: number;
  message: string;
}

export interface ManifestReadResult {
  documents: ManifestDocument[];
  errors: ManifestError[];
}

/** Kuma's ContainerPatch API group (pkg/plugins/resources/k8s/native/api/v1alpha1). */
export const CONTAINER_PATCH_GROUP = "kuma.io";
export const CONTAINER_PATCH_KIND = "ContainerPatch";

/** Aliases expanded per document: the yaml default, a guard against "billion laughs" input. */
const MAX_ALIAS_COUNT = 100;

/**
 * Every object in `text`: multi-document YAML (JSON is read as the YAML subset it is), or a
 * stream of concatenated JSON values as `kubectl` also accepts. `kind: List` and typed lists
 * (`ContainerPatchList`) are expanded into their items; empty documents are skipped; syntax
 * errors (the first per document: the others usually follow from it) and non-object documents
 * are reported with their line.
 */
export function readManifests(text: string, file: string): ManifestReadResult {
  const result: ManifestReadResult = { documents: [], errors: [] };
  try {
    readYaml(text, file, result);
    if (result.errors.length > 0 && /^\uFEFF?\s*[{[]/.test(text)) {
      const json = readJsonStream(text, file);
      if (json && json.errors.length === 0) return json;
    }
  } catch (e) {
    // Only a bug in the yaml library gets here; keep the contract (never throw) and say so.
    result.errors.push({ file, message: `cannot parse: ${errorMessage(e)}` });
  }
  return result;
}

function readYaml(text: string, file: string, result: ManifestReadResult): void {
  const lineCounter = new LineCounter();
  const lineAt = (offset: number | undefined): number | undefined => (offset === undefined ? undefined : lineCounter.linePos(offset).line);
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: true });
  // An empty stream (only comments or whitespace) is not an array.
  const docs: Document.Parsed[] = Array.isArray(parsed) ? parsed : [];
  for (const doc of docs) {
    const start = lineAt(doc.contents?.range[0] ?? doc.range[0]) ?? 1;
    const firstError = doc.errors[0];
    if (firstError) {
      result.errors.push({ file, line: firstError.linePos?.[0].line ?? start, message: `YAML syntax error: ${shortYamlMessage(firstError.message)}` });
      continue;
    }
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue; // empty document
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      result.errors.push({ file, line: start, message: `cannot read document: ${errorMessage(e)}` });
      continue;
    }
    const itemNodes = isMap(doc.contents) ? doc.contents.get("items", true) : undefined;
    collect(result, file, value, lineAt(keyOffset(doc.contents, "kind")) ?? start, (i) => {
      const node = isSeq(itemNodes) ? (itemNodes.items[i] as YamlNode | undefined) : undefined;
      return lineAt(keyOffset(node, "kind")) ?? lineAt(node?.range?.[0]);
    });
  }
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
    collect(result, file, value, line, () => undefined);
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
function collect(result: ManifestReadResult, file: string, value: unknown, line: number, itemLine: (i: number) => number | undefined): void {
  if (!isPlainObject(value)) {
    result.errors.push({ file, line, message: `document is ${describeValue(value)}, not a Kubernetes object` });
    return;
  }
  if (!isListObject(value)) {
    result.documents.push({ object: value, file, line, index: result.documents.length });
    return;
  }
  (value["items"] as unknown[]).forEach((item, i) => {
    const at = itemLine(i) ?? line;
    if (isPlainObject(item)) result.documents.push({ object: item, file, line: at, index: result.documents.length });
    else result.errors.push({ file, line: at, message: `items[${i}] of ${String(value["kind"])} is ${describeValue(item)}, not a Kubernetes object` });
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
  return (
    object["kind"] === CONTAINER_PATCH_KIND &&
    typeof apiVersion === "string" &&
    apiVersion.startsWith(`${CONTAINER_PATCH_GROUP}/`)
  );
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
