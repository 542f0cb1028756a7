// Reading Kubernetes manifests (multi-document YAML or JSON) into plain objects with their
// position, and turning ContainerPatch objects into what the catalog keeps.
// Shared by the ContainerPatch catalogs and the `check` CLI. Everything here is total: bad
// input becomes a ManifestError, never an exception.
import { LineCounter, parseAllDocuments, isMap, isSeq, isScalar } from "yaml";
import type { Document, Node as YamlNode } from "yaml";
import type { StoredContainerPatch } from "./rules/types.js";

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

/** Every object in `text` (multi-document YAML; JSON is read as the YAML subset it is). */
export function readManifests(text: string, file: string): ManifestReadResult {
  const documents: ManifestDocument[] = [];
  const errors: ManifestError[] = [];
  try {
    const lineCounter = new LineCounter();
    const lineAt = (offset: number | undefined): number | undefined =>
      offset === undefined ? undefined : lineCounter.linePos(offset).line;
    const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: true });
    // An empty stream (only comments or whitespace) is not an array.
    const docs: Document.Parsed[] = Array.isArray(parsed) ? parsed : [];
    for (const doc of docs) {
      const start = lineAt(doc.contents?.range[0] ?? doc.range[0]) ?? 1;
      if (doc.errors.length > 0) {
        for (const e of doc.errors) {
          errors.push({ file, line: e.linePos?.[0].line ?? start, message: `YAML syntax error: ${shortYamlMessage(e.message)}` });
        }
        continue;
      }
      if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue; // empty document
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      } catch (e) {
        errors.push({ file, line: start, message: `cannot read document: ${errorMessage(e)}` });
        continue;
      }
      if (!isPlainObject(value)) {
        errors.push({ file, line: start, message: `document is ${describeValue(value)}, not a Kubernetes object` });
        continue;
      }
      const kindLine = lineAt(keyOffset(doc.contents, "kind")) ?? start;
      if (isListObject(value)) {
        const items = value["items"] as unknown[];
        const itemNodes = isMap(doc.contents) ? doc.contents.get("items", true) : undefined;
        items.forEach((item, i) => {
          const node = isSeq(itemNodes) ? (itemNodes.items[i] as YamlNode | undefined) : undefined;
          const itemLine = lineAt(keyOffset(node, "kind")) ?? lineAt(node?.range?.[0]) ?? kindLine;
          if (isPlainObject(item)) documents.push({ object: item, file, line: itemLine, index: documents.length });
          else errors.push({ file, line: itemLine, message: `items[${i}] of ${String(value["kind"])} is ${describeValue(item)}, not a Kubernetes object` });
        });
        continue;
      }
      documents.push({ object: value, file, line: kindLine, index: documents.length });
    }
  } catch (e) {
    // Only a bug in the yaml library gets here; keep the contract (never throw) and say so.
    errors.push({ file, message: `cannot parse: ${errorMessage(e)}` });
  }
  return { documents, errors };
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
