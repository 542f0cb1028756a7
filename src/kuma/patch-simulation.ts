import jsonpatch from "fast-json-patch";
import { MAX_PATCH_BLOCKS, MAX_PATCH_NAMES } from "../limits.js";
import type { Operation } from "fast-json-patch";
import { CONTAINER_PATCHES, SIDECAR_INJECTED } from "./annotations.js";
import { blocksOf, PATCH_LISTS } from "./container-patch.js";
import type { PatchBlock, PatchList, PatchSpecReading } from "./container-patch.js";
import { formatPointer, toArrayIndex, toLibraryTokens } from "./json-pointer.js";
import { trimmedItems } from "./parsers/list.js";
import type { ContainerPatchSubject, ContainerTemplates, JsonObject, KumaSettings, WorkloadSubject } from "./model.js";

// What Kuma's injector makes of the containers it renders once the ContainerPatches are
// applied. Pure functions: the review's analysis (analysis.ts) decides what to simulate, the
// snapshot (src/snapshot.ts) keeps what catalog chains yield.
// Kuma: pkg/plugins/runtime/k8s/webhooks/injector/injector.go (loadContainerPatches,
// applyCustomPatches): default patches first, then the pod annotation's, blocks in order,
// sidecarPatch on kuma-sidecar and initPatch on kuma-init; the first failing block fails
// the whole injection ("could not apply patches [...]: <library error>").

/** Where the chain stopped: Kuma fails injection with this library error. */
export interface PatchFailure {
  /** The ContainerPatch holding the failing block. */
  patch: string;
  list: PatchList;
  blockIndex: number;
  /** The block's path as written. */
  path: string;
  message: string;
}

/** Where a simulation stopped without an answer: the first block it did not apply. */
export interface StopPoint {
  patch: string;
  list: PatchList;
  blockIndex: number;
}

/** One of Kuma's containers after the chain. */
export interface ContainerOutcome {
  /** The container after the last block that applied (the rendered template if none did). Read-only. */
  container: JsonObject;
  failure?: PatchFailure;
  /**
   * Set when the chain has more blocks than one review may apply (MAX_PATCH_BLOCKS, or blocks
   * its reading left unread): `container` is then an intermediate state, neither right nor wrong.
   */
  unverified?: StopPoint;
}

/** Both containers after the chain: kuma-sidecar (sidecarPatch) and kuma-init (initPatch). */
export interface Simulation {
  sidecar: ContainerOutcome;
  init: ContainerOutcome;
}

/** A patch in the chain, in Kuma's order, with its spec read. */
export interface ChainEntry {
  name: string;
  reading: PatchSpecReading;
}

/** Patch names a review reads, and whether the annotation holds more than it reads. */
export interface PatchNames {
  names: readonly string[];
  /** The annotation lists more than MAX_PATCH_NAMES names: the rest were not read. */
  more: boolean;
}

/**
 * Names as Kuma's annotation parser yields them, trimmed (the padding is workload-patch-list's
 * finding): the first MAX_PATCH_NAMES, so the work is bounded by the limit, not the annotation.
 */
export function annotationPatchNames(annotations: Readonly<Record<string, string>>): PatchNames {
  const value = annotations[CONTAINER_PATCHES];
  if (value === undefined) return { names: [], more: false };
  const names = trimmedItems(value, MAX_PATCH_NAMES + 1);
  return names.length > MAX_PATCH_NAMES ? { names: names.slice(0, MAX_PATCH_NAMES), more: true } : { names, more: false };
}

/** The default patches Kuma applies to every pod, trimmed, empty names dropped. */
export function defaultPatchNames(settings: KumaSettings): string[] {
  return settings.defaultContainerPatches.map((name) => name.trim()).filter((name) => name !== "");
}

/**
 * The patch names Kuma applies, in order: the default patches, then (workloads) the annotation's
 * (at most MAX_PATCH_NAMES of them) or (ContainerPatch) the patch itself.
 */
export function referencedPatchNames(subject: ContainerPatchSubject | WorkloadSubject, settings: KumaSettings): PatchNames {
  const defaults = defaultPatchNames(settings);
  if (subject.target === "workload") {
    const annotated = annotationPatchNames(subject.template.annotations);
    return { names: [...defaults, ...annotated.names], more: annotated.more };
  }
  return { names: [...defaults.filter((name) => name !== subject.meta.name), subject.meta.name], more: false };
}

/**
 * True for a Pod Kuma has already injected: validating webhooks run after Kuma's mutating
 * one, and a pod whose patches were missing or failed never arrives, so re-simulating it
 * could only disagree with what Kuma actually did (e.g. another Kuma version's template).
 */
export function isInjected(subject: WorkloadSubject): boolean {
  return subject.template.annotations[SIDECAR_INJECTED] === "true";
}

/** A block of the chain with the patch it belongs to. */
export interface ChainBlock {
  patch: string;
  block: PatchBlock;
}

/** The blocks of `list` in the order Kuma applies them. */
export function chainBlocks(entries: readonly ChainEntry[], list: PatchList): ChainBlock[] {
  return entries.flatMap((entry) => blocksOf(entry.reading, list).map((block) => ({ patch: entry.name, block })));
}

/**
 * The last block whose path (or, for move/copy, also from) lies on the way to `pointer`
 * or below it: the block that most likely wrote that field. Array indices match any index.
 */
export function blockWriting(blocks: readonly ChainBlock[], pointer: string): ChainBlock | undefined {
  const target = toLibraryTokens(pointer);
  for (let i = blocks.length - 1; i >= 0; i--) {
    const candidate = blocks[i]!;
    if (typeof candidate.block.path !== "string") continue;
    if (related(toLibraryTokens(candidate.block.path), target)) return candidate;
  }
  return undefined;
}

function related(a: readonly string[], b: readonly string[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    const xIndex = x === "-" || toArrayIndex(x) !== undefined;
    const yIndex = y === "-" || toArrayIndex(y) !== undefined;
    if (!(xIndex && yIndex)) return false;
  }
  return true;
}

/** Applies the chain to both rendered containers; stops at the first failing block, as Kuma does. */
export function simulateChain(templates: ContainerTemplates, entries: readonly ChainEntry[]): Simulation {
  return continueChain({ sidecar: { container: templates.sidecar }, init: { container: templates.init } }, entries);
}

/**
 * Applies more of the chain to a simulation's containers (never changed); a failed or
 * unverified container stays so. At most MAX_PATCH_BLOCKS blocks per container and call.
 */
export function continueChain(start: Simulation, entries: readonly ChainEntry[]): Simulation {
  const [sidecarList, initList] = PATCH_LISTS as [PatchList, PatchList];
  const settled = (outcome: ContainerOutcome) => outcome.failure !== undefined || outcome.unverified !== undefined;
  return {
    sidecar: settled(start.sidecar) ? start.sidecar : applyChain(start.sidecar.container, entries, sidecarList),
    init: settled(start.init) ? start.init : applyChain(start.init.container, entries, initList),
  };
}

function applyChain(start: JsonObject, entries: readonly ChainEntry[], list: PatchList): ContainerOutcome {
  let doc: unknown = start;
  // The start is shared and read-only: each block copies only the containers on its path.
  const owned = newOwnership();
  let applied = 0;
  for (const entry of entries) {
    const blocks = blocksOf(entry.reading, list);
    for (const block of blocks) {
      if (applied++ === MAX_PATCH_BLOCKS)
        return { container: doc as JsonObject, unverified: { patch: entry.name, list, blockIndex: block.index } };
      const result = applyOwned(doc, toKumaOperation(block), owned);
      if (!result.ok) {
        const path = typeof block.path === "string" ? block.path : "";
        return {
          container: doc as JsonObject,
          failure: { patch: entry.name, list, blockIndex: block.index, path, message: result.message },
        };
      }
      doc = result.doc;
    }
    if (entry.reading.unread[list] > 0)
      return { container: doc as JsonObject, unverified: { patch: entry.name, list, blockIndex: blocks.length } };
  }
  return { container: doc as JsonObject };
}

/** What Kuma's ToJsonPatch hands the library for a block (container_patch.go): op and path as strings, value raw, from "" when absent. */
export function toKumaOperation(block: PatchBlock): KumaOperation {
  return {
    op: typeof block.op === "string" ? block.op : "unknown",
    path: typeof block.path === "string" ? block.path : "",
    ...(typeof block.value === "string" ? { value: block.value } : {}),
    from: typeof block.from === "string" ? block.from : "",
  };
}

// ---- the patch library, Kuma's way ----
//
// One RFC 6902 operation applied the way Kuma applies ContainerPatch blocks:
// evanphx/json-patch v5.9.11 ApplyWithOptions with EnsurePathExistsOnAdd (add creates
// missing parents), SupportNegativeIndices (the library default: -1 is the last element),
// and errors worded like that library's. Kuma: pkg/plugins/runtime/k8s/webhooks/injector/
// injector.go (applyCustomPatches); evanphx: v5/patch.go (add, ensurePathExists, findObject,
// remove, replace, move, copy). fast-json-patch does the mutation, always with validation on
// (without it replace/remove of a missing path silently succeed); we pre-create parents and
// translate negative indices first, because it knows neither.

/** A block as Kuma hands it to the library: `value` is the raw JSON text, `from` may be "". */
export interface KumaOperation {
  op: string;
  path: string;
  value?: string;
  from?: string;
}

/** The patched document, or the library's error message. */
export type OperationResult = { ok: true; doc: unknown } | { ok: false; message: string };

const MISSING = "missing value";
const INVALID_INDEX = "invalid index referenced";
const INVALID_STATE = "invalid state detected";

/** Applies `operation` to `doc`, which is never changed: what the operation writes is copied. */
export function applyKumaOperation(doc: unknown, operation: KumaOperation): OperationResult {
  return applyOwned(doc, operation, newOwnership());
}

/**
 * The containers of a document the simulation made itself and may change in place. The
 * rendered templates and the snapshot's chains are shared by every review: an operation
 * first copies the objects and arrays on its path (structural sharing), so a 10-block patch
 * copies a few small containers instead of the whole container ten times over.
 */
interface Ownership {
  copies: Set<object>;
  /** After a whole-document copy (move), every container is the simulation's own. */
  all: boolean;
}

const newOwnership = (): Ownership => ({ copies: new Set(), all: false });

/** `container`, or a shallow copy of it that `owned` records. */
function ownCopy(container: Container, owned: Ownership): Container {
  if (owned.all || owned.copies.has(container)) return container;
  const copy = Array.isArray(container) ? container.slice() : { ...container };
  owned.copies.add(copy);
  return copy;
}

/**
 * `doc` with the root and every existing container on the way to the parent of `tokens`'
 * last token owned (the walk of findObject and ensurePathExists): changing them in place
 * changes nothing shared. Returns the (possibly new) root.
 */
function ownPath(doc: unknown, tokens: readonly string[], owned: Ownership): unknown {
  if (!isContainer(doc)) return doc;
  const root = ownCopy(doc, owned);
  let container = root;
  for (let i = 0; i < tokens.length - 1; i++) {
    const next = child(container, tokens[i]!);
    if (next.error !== undefined || !isContainer(next.value)) break;
    if (next.token === undefined) continue; // "" is the container itself
    const copy = ownCopy(next.value, owned);
    (container as Record<string, unknown>)[next.token] = copy;
    container = copy;
  }
  return root;
}

function applyOwned(doc: unknown, operation: KumaOperation, owned: Ownership): OperationResult {
  try {
    return applyOperation(doc, operation, owned);
  } catch (cause) {
    // Only fast-json-patch refusing what the emulation allowed lands here.
    return { ok: false, message: cause instanceof Error ? cause.message : String(cause) };
  }
}

/** A deep copy of a JSON document: what fast-json-patch's deepClone (a JSON round trip) yields for JSON data, at a fraction of its cost. */
function copyOf(doc: unknown): unknown {
  if (doc === null || typeof doc !== "object") return doc;
  if (Array.isArray(doc)) return doc.map(copyOf);
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    // As JSON.parse does: an own "__proto__" key is data, not the prototype.
    if (key === "__proto__")
      Object.defineProperty(copy, key, { value: copyOf(value), enumerable: true, writable: true, configurable: true });
    else copy[key] = copyOf(value);
  }
  return copy;
}

function applyOperation(doc: unknown, operation: KumaOperation, owned: Ownership): OperationResult {
  const { op, path } = operation;
  switch (op) {
    case "add": {
      const value = decodeValue(operation.value);
      if (!value.ok) return value;
      if (path === "") return { ok: true, doc: value.doc }; // patch.go add: "" replaces the document
      const tokens = toLibraryTokens(path);
      const work = ownPath(doc, tokens, owned);
      // Creating parents mutates before the add can still fail: a failure undoes them, so the
      // document is left as it was without copying it first (a copy per add was quadratic).
      const created = ensurePathExists(work, tokens);
      const failed = (message: string): OperationResult => {
        created.undo();
        return fail(message);
      };
      if (created.error) return failed(created.error);
      const target = findObject(work, tokens);
      if (!target) return failed(`add operation does not apply: doc is missing path: "${path}": ${MISSING}`);
      const key = addKey(target.container, target.key);
      if (typeof key !== "string") return failed(`error in add for path: '${path}': ${key.error}`);
      try {
        return run(work, { op: "add", path: formatPointer([...target.prefix, key]), value: value.doc });
      } catch (cause) {
        return failed(cause instanceof Error ? cause.message : String(cause));
      }
    }
    case "remove": {
      if (path === "") return fail(`remove operation does not apply: doc is missing path: "": ${MISSING}`);
      const tokens = toLibraryTokens(path);
      const work = ownPath(doc, tokens, owned);
      const target = findObject(work, tokens);
      if (!target) return fail(`remove operation does not apply: doc is missing path: "${path}": ${MISSING}`);
      const key = existingKey(target.container, target.key, "remove");
      if (typeof key !== "string") return fail(`error in remove for path: '${path}': ${key.error}`);
      return run(work, { op: "remove", path: formatPointer([...target.prefix, key]) });
    }
    case "replace": {
      const value = decodeValue(operation.value);
      if (!value.ok) return value;
      if (path === "") {
        if (!isContainer(value.doc)) return fail("replace operation value must be object or array");
        return { ok: true, doc: value.doc };
      }
      const tokens = toLibraryTokens(path);
      const work = ownPath(doc, tokens, owned);
      const target = findObject(work, tokens);
      if (!target) return fail(`replace operation does not apply: doc is missing path: ${path}: ${MISSING}`);
      const key = existingKey(target.container, target.key, "get");
      if (typeof key !== "string") return fail(`replace operation does not apply: doc is missing key: ${path}: ${MISSING}`);
      return run(work, { op: "replace", path: formatPointer([...target.prefix, key]), value: value.doc });
    }
    case "move":
    case "copy": {
      const from = operation.from ?? "";
      if (op === "move" && from === "") return fail(`unable to move entire document to another path: ${INVALID_STATE}`);
      // A move removes before it can fail: it works on a whole copy, so a failure leaves `doc` as it was.
      const work = op === "move" ? copyOf(doc) : ownPath(doc, toLibraryTokens(path), owned);
      const source = findObject(work, toLibraryTokens(from));
      if (!source) {
        return fail(
          op === "move"
            ? `move operation does not apply: doc is missing from path: ${from}: ${MISSING}`
            : `copy operation does not apply: doc is missing from path: "${from}": ${MISSING}`,
        );
      }
      const sourceKey = from === "" ? "" : existingKey(source.container, source.key, "get");
      if (typeof sourceKey !== "string") {
        return fail(
          op === "move"
            ? `error in move for path: '${source.key}': ${sourceKey.error}`
            : `error in copy for from: '${from}': ${sourceKey.error}`,
        );
      }
      const fromPointer = formatPointer(from === "" ? [] : [...source.prefix, sourceKey]);
      const value = jsonpatch.getValueByPointer(work, fromPointer) as unknown;
      let current = work;
      if (op === "move") current = run(current, { op: "remove", path: fromPointer }).doc as unknown;
      const target = findObject(current, toLibraryTokens(path));
      if (!target) return fail(`${op} operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
      const key = addKey(target.container, target.key);
      if (typeof key !== "string") {
        return fail(
          op === "move" ? `error in move for path: '${path}': ${key.error}` : `error while adding value during copy: ${key.error}`,
        );
      }
      if (path === "") return { ok: true, doc: copyOf(value) };
      if (op === "move") owned.all = true; // `current` is the whole copy
      return run(current, { op: "add", path: formatPointer([...target.prefix, key]), value: copyOf(value) });
    }
    default:
      // Kuma's CRD only admits the five ops above; the library answers anything else so.
      return fail(`Unexpected kind: ${op}`);
  }
}

function fail(message: string): OperationResult {
  return { ok: false, message };
}

/** Runs the normalized operation through fast-json-patch with validation on. */
function run(doc: unknown, operation: Operation): { ok: true; doc: unknown } {
  const result = jsonpatch.applyOperation(doc, operation, true, true);
  return { ok: true, doc: result.newDocument };
}

function decodeValue(raw: string | undefined): OperationResult {
  if (raw === undefined || raw === "") return fail("value is empty, not a JSON document: unexpected end of JSON input");
  try {
    return { ok: true, doc: JSON.parse(raw) as unknown };
  } catch (cause) {
    return fail(`value is not a JSON document: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return value !== null && typeof value === "object";
}

interface Located {
  container: Container;
  /** Normalized pointer tokens of `container` from the root. */
  prefix: string[];
  /** The last token, as written. */
  key: string;
}

/** One step of the library's `get`: "" is the container itself, negative indices count from the end. */
function child(container: Container, token: string): { value: unknown; token?: string; error?: undefined } | { error: string } {
  if (token === "") return { value: container };
  if (Array.isArray(container)) {
    let index = toArrayIndex(token);
    if (index === undefined) return { error: `strconv.Atoi: parsing "${token}": invalid syntax` };
    const original = index;
    if (index < 0) {
      if (index < -container.length) return { error: `Unable to access invalid index: ${original}: ${INVALID_INDEX}` };
      index += container.length;
    }
    if (index >= container.length) return { error: `Unable to access invalid index: ${index}: ${INVALID_INDEX}` };
    return { value: container[index], token: String(index) };
  }
  if (!Object.hasOwn(container, token)) return { error: `unable to get nonexistent key: ${token}: ${MISSING}` };
  return { value: container[token], token };
}

/** patch.go findObject: walks all but the last token; undefined when a step is missing or not a container. */
function findObject(doc: unknown, tokens: readonly string[]): Located | undefined {
  if (!isContainer(doc)) return undefined;
  if (tokens.length === 0) return { container: doc, prefix: [], key: "" };
  let container: Container = doc;
  const prefix: string[] = [];
  for (const token of tokens.slice(0, -1)) {
    const next = child(container, token);
    if (next.error !== undefined || !isContainer(next.value)) return undefined;
    if (next.token !== undefined) prefix.push(next.token);
    container = next.value;
  }
  return { container, prefix, key: tokens[tokens.length - 1]! };
}

/** The normalized key an add writes to (partialDoc.set / partialArray.add), or the library's error. */
function addKey(container: Container, key: string): string | { error: string } {
  if (!Array.isArray(container)) return key;
  if (key === "-") return "-";
  const index = toArrayIndex(key);
  if (index === undefined) return { error: `value was not a proper array index: '${key}': strconv.Atoi: parsing "${key}": invalid syntax` };
  const size = container.length + 1;
  if (index >= size || index < -size) return { error: `Unable to access invalid index: ${index}: ${INVALID_INDEX}` };
  return String(index < 0 ? index + size : index);
}

/** The normalized key of an existing member (get/remove), or the library's error. */
function existingKey(container: Container, key: string, mode: "get" | "remove"): string | { error: string } {
  if (Array.isArray(container)) {
    const index = toArrayIndex(key);
    if (index === undefined) return { error: `strconv.Atoi: parsing "${key}": invalid syntax` };
    if (index >= container.length || index < -container.length)
      return { error: `Unable to access invalid index: ${index}: ${INVALID_INDEX}` };
    return String(index < 0 ? index + container.length : index);
  }
  if (!Object.hasOwn(container, key)) {
    return {
      error:
        mode === "remove" ? `unable to remove nonexistent key: ${key}: ${MISSING}` : `unable to get nonexistent key: ${key}: ${MISSING}`,
    };
  }
  return key;
}

/** What ensurePathExists did: the library's error, if any, and how to take its changes back. */
interface EnsuredPath {
  error?: string;
  undo(): void;
}

/**
 * patch.go ensurePathExists: creates each missing parent — an array when the next token is a
 * number or "-" (padded with nulls up to that index), else an object. Everything it creates
 * hangs below the first container it changed, so undo() restores that one container.
 */
function ensurePathExists(doc: unknown, tokens: readonly string[]): EnsuredPath {
  let undo: (() => void) | undefined;
  const done = (error?: string): EnsuredPath => {
    const restore = undo ?? (() => {});
    return error === undefined ? { undo: restore } : { error, undo: restore };
  };
  if (!isContainer(doc)) return done(INVALID_STATE);
  let container: Container = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    const part = tokens[i]!;
    const nextPart = tokens[i + 1]!;
    const existing = child(container, part);
    if (existing.error === undefined) {
      if (!isContainer(existing.value)) return done(INVALID_STATE); // intoDoc of a scalar or null
      container = existing.value;
      continue;
    }
    undo ??= undoOf(container, part);
    const partIndex = toArrayIndex(part);
    if (Array.isArray(container) && partIndex !== undefined && partIndex >= container.length + 1) {
      while (container.length < partIndex) container.push(null);
    }
    let created: Container;
    const nextIndex = toArrayIndex(nextPart);
    if (nextIndex !== undefined || nextPart === "-") {
      let padding = nextIndex ?? 0;
      if (padding < -1) return done(`Unable to ensure path for negative index other than -1: ${padding}: ${INVALID_INDEX}`);
      if (padding < 0) padding = 0;
      created = new Array<unknown>(padding).fill(null);
    } else created = {};
    if (Array.isArray(container)) {
      // partialArray.add; its error is ignored by the library, leaving the new node detached.
      const key = addKey(container, part);
      if (typeof key === "string") {
        if (key === "-") container.push(created);
        else container.splice(Number(key), 0, created);
      }
    } else container[part] = created;
    container = created;
  }
  return done();
}

/** Restores `container` as it is now, before `part` is created in it (an array's length, an object's key). */
function undoOf(container: Container, part: string): () => void {
  if (Array.isArray(container)) {
    const items = container.slice();
    return () => {
      container.length = 0;
      container.push(...items);
    };
  }
  return () => {
    delete container[part];
  };
}
