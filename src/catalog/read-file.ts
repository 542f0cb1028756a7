// One catalog file → its ContainerPatches, or why it was skipped. Pure apart from reading the
// file; runs inside the parse worker (parse-worker.ts) so that a pathological file costs the
// worker time and memory, never the event loop that answers admission requests (a file too
// small to be pathological is read on the event loop: file-reader.ts).
import { readFile, stat } from "node:fs/promises";
import { readManifests, toStoredPatch } from "../manifests.js";
import { MAX_MANIFEST_FILE_BYTES, MAX_NESTING_DEPTH, pathDeeperThan, textDeeperThan } from "../limits.js";
import type { StoredContainerPatch } from "../kuma/model.js";
import type { SkipReason } from "./types.js";

/** A document of the file that is not a usable ContainerPatch, with its line. */
export interface FileProblem {
  line?: number;
  message: string;
}

export type FileReading =
  | { patches: StoredContainerPatch[]; problems: FileProblem[] }
  | { skipped: SkipReason; line?: number; message: string; patches?: undefined };

/**
 * The ContainerPatches of one file, read with `defaultNamespace` for those without one. The
 * whole file is skipped when it is too large, too deep, or has a syntax error (a half-read file
 * would drop patches silently); documents that are not ContainerPatches are problems only.
 */
export async function readCatalogFile(path: string, defaultNamespace: string): Promise<FileReading> {
  let text: string;
  try {
    const { size } = await stat(path);
    if (size > MAX_MANIFEST_FILE_BYTES)
      return { skipped: "too_large", message: `${size} bytes, over the limit of ${MAX_MANIFEST_FILE_BYTES}` };
    text = await readFile(path, "utf8");
  } catch (e) {
    return { skipped: "unreadable", message: `cannot be read: ${e instanceof Error ? e.message : String(e)}` };
  }
  return catalogFileOf(text, path, defaultNamespace);
}

/** {@link readCatalogFile} for text already read; `file` names it in messages. */
export function catalogFileOf(text: string, file: string, defaultNamespace: string): FileReading {
  if (text.length > MAX_MANIFEST_FILE_BYTES) return { skipped: "too_large", message: `over the limit of ${MAX_MANIFEST_FILE_BYTES} bytes` };
  const deepLine = textDeeperThan(text);
  if (deepLine !== undefined) return { skipped: "too_deep", line: deepLine, message: `nests deeper than ${MAX_NESTING_DEPTH} levels` };
  const { documents, errors } = readManifests(text, file);
  if (errors.length > 0) {
    const first = errors[0]!;
    return first.line === undefined
      ? { skipped: "unparsable", message: first.message }
      : { skipped: "unparsable", line: first.line, message: first.message };
  }
  const patches: StoredContainerPatch[] = [];
  const problems: FileProblem[] = [];
  for (const doc of documents) {
    const deep = pathDeeperThan(doc.object);
    if (deep !== undefined)
      return { skipped: "too_deep", line: doc.line, message: `${deep} nests deeper than ${MAX_NESTING_DEPTH} levels` };
    const patch = toStoredPatch(doc.object, defaultNamespace);
    if (patch) patches.push(patch);
    else problems.push({ line: doc.line, message: "not a kuma.io ContainerPatch with a name; skipped" });
  }
  return { patches, problems };
}

/**
 * The text of a manifest file, or an Error saying why it is not read: over the size limit, or
 * nested deeper than the depth limit (checked before a YAML parser sees it). For `check`, so
 * that it refuses exactly what the server's catalog refuses.
 */
export async function readManifestText(path: string): Promise<string> {
  const { size } = await stat(path);
  if (size > MAX_MANIFEST_FILE_BYTES) throw new Error(`${size} bytes, over the limit of ${MAX_MANIFEST_FILE_BYTES}`);
  const text = await readFile(path, "utf8");
  const deepLine = textDeeperThan(text);
  if (deepLine !== undefined) throw new Error(`line ${deepLine}: nests deeper than ${MAX_NESTING_DEPTH} levels`);
  return text;
}
