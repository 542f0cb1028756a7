import jsonpatch from "fast-json-patch";
import type { Operation } from "fast-json-patch";
import { CONTAINER_PATCHES, SIDECAR_INJECTED } from "./annotations.js";
import { blocksOf, isSpecSound, PATCH_LISTS, readPatchSpec, sharedSpec } from "./container-patch.js";
import type { PatchBlock, PatchList } from "./container-patch.js";
import { formatPointer, toArrayIndex, toLibraryTokens } from "./json-pointer.js";
import { trimmedItems } from "./parsers/list.js";
import type { ReviewMemo } from "./memo.js";
import type { ContainerPatchSubject, JsonObject, RuleContext, WorkloadSubject } from "../rules/types.js";

// What Kuma's injector makes of the containers it renders once the ContainerPatches are
// applied, exported for rules (patch-apply, patch-container, patch-unknown-field,
// patch-privilege) and for custom policy rules with target sidecar/init.
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

/** One of Kuma's containers after the chain. */
export interface ContainerOutcome {
  /** The container after the last block that applied (the rendered template if none did). Read-only. */
  container: JsonObject;
  failure?: PatchFailure;
}

/** Both containers after the chain: kuma-sidecar (sidecarPatch) and kuma-init (initPatch). */
export interface Simulation {
  sidecar: ContainerOutcome;
  init: ContainerOutcome;
}

/** A patch in the chain, in Kuma's order. */
export interface ChainEntry {
  name: string;
  spec: unknown;
}

/** Names as Kuma's annotation parser yields them, trimmed (the padding is workload-patch-list's finding). Shared, read-only. */
export function annotationPatchNames(annotations: Readonly<Record<string, string>>): readonly string[] {
  const value = annotations[CONTAINER_PATCHES];
  return value === undefined ? [] : trimmedItems(value);
}

/** The patch names Kuma applies, in order: the default patches, then (workloads) the annotation's or (ContainerPatch) the patch itself. */
export function referencedPatchNames(subject: ContainerPatchSubject | WorkloadSubject, ctx: Pick<RuleContext, "settings">): string[] {
  const defaults = ctx.settings.defaultContainerPatches.map((name) => name.trim()).filter((name) => name !== "");
  if (subject.target === "workload") return [...defaults, ...annotationPatchNames(subject.template.annotations)];
  return [...defaults.filter((name) => name !== subject.meta.name), subject.meta.name];
}

/**
 * Templates → the default patches found in the catalog → this patch (a default of the
 * same name is replaced by the version being admitted). Once per review (ctx.memo).
 */
export function simulateContainerPatch(subject: ContainerPatchSubject, ctx: RuleContext): Simulation {
  return ctx.memo.get("simulation", subject, () => {
    const defaults = defaultEntriesOf(subject, ctx);
    const kept = sharedSpec(subject.spec, ctx.memo);
    // A patch too large to keep is simulated uncached, so distinct huge patches cannot fill memory.
    if (kept === undefined) return simulateChain(ctx, [...defaults, { name: subject.meta.name, spec: subject.spec }]);
    return simulateCatalogChain(ctx, [...defaults, { name: subject.meta.name, spec: kept }], true);
  });
}

/** The catalog's default patches a ContainerPatch is applied after (itself excluded). Once per review (ctx.memo). */
function defaultEntriesOf(subject: ContainerPatchSubject, ctx: RuleContext): readonly ChainEntry[] {
  return ctx.memo.get("default-entries", subject, () => catalogEntries(referencedPatchNames(subject, ctx).slice(0, -1), ctx));
}

/** The catalog's entries for `names`, in order, missing names skipped. */
function catalogEntries(names: readonly string[], ctx: RuleContext): ChainEntry[] {
  const entries: ChainEntry[] = [];
  for (const name of names) {
    const stored = ctx.catalog.get(name);
    if (stored) entries.push({ name, spec: stored.spec });
  }
  return entries;
}

/** Templates → default patches → the pod template's `kuma.io/container-patches`, missing names skipped. Once per review (ctx.memo). */
export function simulateWorkload(subject: WorkloadSubject, ctx: RuleContext): Simulation {
  return ctx.memo.get("simulation", subject, () => simulateCatalogChain(ctx, chainOf(subject, ctx)));
}

/**
 * Chains across requests, per policy's templates. A cluster's workloads reference a handful
 * of patch lists, and the catalog's specs are shared read-only objects (an update replaces
 * them), so the same names with the same spec objects simulate the same; so does a
 * ContainerPatch under review, whose spec is read through the kept spec of equal content
 * (`sharedSpec`: GitOps tools re-apply the same patch over and over). The result's
 * containers are then the same objects too, so container-validation's per-object caches hit.
 */
const chains = new WeakMap<object, Map<string, CachedChain>>();

interface CachedChain {
  /** The specs of the chain, compared by identity. */
  specs: unknown[];
  simulation: Simulation;
}

/** Distinct chains remembered per policy; a cluster has far fewer. */
const CHAIN_CACHE_SIZE = 256;

/**
 * `simulateChain` through the cache. Every entry's spec must be long-lived: a catalog object,
 * or with `reviewed` (the last entry is the patch under review, kept apart from the catalog
 * chain of the same names) a kept reviewed spec.
 */
function simulateCatalogChain(ctx: RuleContext, entries: readonly ChainEntry[], reviewed = false): Simulation {
  let byKey = chains.get(ctx.templates);
  if (!byKey) {
    byKey = new Map();
    chains.set(ctx.templates, byKey);
  }
  const key = entries.map((entry) => entry.name).join("\u0000") + (reviewed ? "\u0000\u0000" : "");
  const cached = byKey.get(key);
  if (cached && cached.specs.length === entries.length && cached.specs.every((spec, i) => spec === entries[i]!.spec)) {
    return cached.simulation;
  }
  const simulation = simulateChain(ctx, entries);
  if (byKey.size >= CHAIN_CACHE_SIZE) byKey.clear();
  byKey.set(key, { specs: entries.map((entry) => entry.spec), simulation });
  return simulation;
}

/** The catalog entries a workload's chain applies, in order (missing names skipped). Once per review (ctx.memo). */
export function chainOf(subject: WorkloadSubject, ctx: RuleContext): readonly ChainEntry[] {
  return ctx.memo.get("chain", subject, () => catalogEntries(referencedPatchNames(subject, ctx), ctx));
}

/**
 * True for a Pod Kuma has already injected: validating webhooks run after Kuma's mutating
 * one, and a pod whose patches were missing or failed never arrives, so re-simulating it
 * could only disagree with what Kuma actually did (e.g. another Kuma version's template).
 */
export function isInjected(subject: WorkloadSubject): boolean {
  return subject.template.annotations[SIDECAR_INJECTED] === "true";
}

/**
 * What the containers look like without the patches under review, so findings name only
 * what they add: for a ContainerPatch, the templates with the default patches; for a
 * workload, the bare templates. Once per review (ctx.memo).
 */
export function simulateBaseline(subject: ContainerPatchSubject | WorkloadSubject, ctx: RuleContext): Simulation {
  return ctx.memo.get("baseline", subject, () => {
    return simulateCatalogChain(ctx, subject.target === "workload" ? [] : defaultEntriesOf(subject, ctx));
  });
}

/** One of Kuma's containers with the ContainerPatch under review applied, and without it. */
export interface PatchEffect {
  list: PatchList;
  after: ContainerOutcome;
  before: ContainerOutcome;
}

/**
 * What the patches under review change in each of Kuma's containers (a ContainerPatch: itself
 * over the default patches; a workload: its whole chain over the bare templates), for the
 * rules that compare before and after. None when a block is unsound (other rules speak), a
 * ContainerPatch is empty, or a pod was already injected (Kuma applied its chain). Once per review.
 */
export function effectsOf(subject: ContainerPatchSubject | WorkloadSubject, ctx: RuleContext): readonly PatchEffect[] {
  return ctx.memo.get("effects", subject, () => {
    if (subject.target === "workload" ? isInjected(subject) : readPatchSpec(subject.spec, ctx.memo).blocks.length === 0) return [];
    if (!isChainSound(subject, ctx)) return [];
    const simulation = subject.target === "workload" ? simulateWorkload(subject, ctx) : simulateContainerPatch(subject, ctx);
    const baseline = simulateBaseline(subject, ctx);
    return [
      { list: "sidecarPatch", after: simulation.sidecar, before: baseline.sidecar },
      { list: "initPatch", after: simulation.init, before: baseline.init },
    ];
  });
}

/**
 * True when every patch the simulation applies passed patch-op/path/value/from, so
 * patch-apply and patch-container may speak (one root cause, one finding).
 */
export function isChainSound(subject: ContainerPatchSubject | WorkloadSubject, ctx: RuleContext): boolean {
  if (subject.target === "containerpatch") return isSpecSound(subject.spec, ctx.memo);
  return chainOf(subject, ctx).every((entry) => isSpecSound(entry.spec));
}

/** A block of the chain with the patch it belongs to. */
export interface ChainBlock {
  patch: string;
  block: PatchBlock;
}

/** The blocks of `list` in the order Kuma applies them. */
export function chainBlocks(entries: readonly ChainEntry[], list: PatchList, memo?: ReviewMemo): ChainBlock[] {
  return entries.flatMap((entry) => blocksOf(entry.spec, list, memo).map((block) => ({ patch: entry.name, block })));
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
export function simulateChain(ctx: RuleContext, entries: readonly ChainEntry[]): Simulation {
  const [sidecarList, initList] = PATCH_LISTS as [PatchList, PatchList];
  return {
    sidecar: applyChain(ctx.templates.sidecar, entries, sidecarList),
    init: applyChain(ctx.templates.init, entries, initList),
  };
}

function applyChain(template: JsonObject, entries: readonly ChainEntry[], list: PatchList): ContainerOutcome {
  let doc: unknown = template;
  let owned = false; // the template is frozen and shared: copy it once, then patch the copy in place
  for (const entry of entries) {
    for (const block of blocksOf(entry.spec, list)) {
      if (!owned) {
        doc = copyOf(doc);
        owned = true;
      }
      const result = applyInPlace(doc, toKumaOperation(block));
      if (!result.ok) {
        const path = typeof block.path === "string" ? block.path : "";
        return { container: doc as JsonObject, failure: { patch: entry.name, list, blockIndex: block.index, path, message: result.message } };
      }
      doc = result.doc;
    }
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

/** Applies `operation` to a copy of `doc` (never mutated); on failure, the library's message. */
export function applyKumaOperation(doc: unknown, operation: KumaOperation): OperationResult {
  return apply(doc, operation, copyOf);
}

/**
 * Applies `operation` to `doc`, which the caller owns: changed in place when the operation
 * succeeds, left as it was when it fails (an add that must create parents, or a move, works
 * on a copy first).
 */
function applyInPlace(doc: unknown, operation: KumaOperation): OperationResult {
  return apply(doc, operation, (d) => d);
}

function apply(doc: unknown, operation: KumaOperation, own: (doc: unknown) => unknown): OperationResult {
  try {
    return applyOperation(doc, operation, own);
  } catch (cause) {
    // Only fast-json-patch refusing what the emulation allowed lands here.
    return { ok: false, message: cause instanceof Error ? cause.message : String(cause) };
  }
}

/**
 * A deep copy of a JSON document: what fast-json-patch's deepClone (a JSON round trip)
 * yields for JSON data, at a fraction of its cost; the simulation copies the rendered
 * container once per list and again before each add that creates parents.
 */
function copyOf(doc: unknown): unknown {
  if (doc === null || typeof doc !== "object") return doc;
  if (Array.isArray(doc)) return doc.map(copyOf);
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    // As JSON.parse does: an own "__proto__" key is data, not the prototype.
    if (key === "__proto__") Object.defineProperty(copy, key, { value: copyOf(value), enumerable: true, writable: true, configurable: true });
    else copy[key] = copyOf(value);
  }
  return copy;
}

function applyOperation(doc: unknown, operation: KumaOperation, own: (doc: unknown) => unknown): OperationResult {
  const { op, path } = operation;
  switch (op) {
    case "add": {
      const value = decodeValue(operation.value);
      if (!value.ok) return value;
      if (path === "") return { ok: true, doc: value.doc }; // patch.go add: "" replaces the document
      const tokens = toLibraryTokens(path);
      // Creating parents mutates before the add can still fail: do that on a copy.
      const work = findObject(doc, tokens) ? own(doc) : copyOf(doc);
      const ensured = ensurePathExists(work, tokens);
      if (ensured) return fail(ensured);
      const target = findObject(work, tokens);
      if (!target) return fail(`add operation does not apply: doc is missing path: "${path}": ${MISSING}`);
      const key = addKey(target.container, target.key);
      if (typeof key !== "string") return fail(`error in add for path: '${path}': ${key.error}`);
      return run(work, { op: "add", path: formatPointer([...target.prefix, key]), value: value.doc });
    }
    case "remove": {
      if (path === "") return fail(`remove operation does not apply: doc is missing path: "": ${MISSING}`);
      const work = own(doc);
      const target = findObject(work, toLibraryTokens(path));
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
      const work = own(doc);
      const target = findObject(work, toLibraryTokens(path));
      if (!target) return fail(`replace operation does not apply: doc is missing path: ${path}: ${MISSING}`);
      const key = existingKey(target.container, target.key, "get");
      if (typeof key !== "string") return fail(`replace operation does not apply: doc is missing key: ${path}: ${MISSING}`);
      return run(work, { op: "replace", path: formatPointer([...target.prefix, key]), value: value.doc });
    }
    case "move":
    case "copy": {
      const from = operation.from ?? "";
      if (op === "move" && from === "") return fail(`unable to move entire document to another path: ${INVALID_STATE}`);
      const work = op === "move" ? copyOf(doc) : own(doc); // move removes before it can fail
      const source = findObject(work, toLibraryTokens(from));
      if (!source) {
        return fail(op === "move"
          ? `move operation does not apply: doc is missing from path: ${from}: ${MISSING}`
          : `copy operation does not apply: doc is missing from path: "${from}": ${MISSING}`);
      }
      const sourceKey = from === "" ? "" : existingKey(source.container, source.key, "get");
      if (typeof sourceKey !== "string") {
        return fail(op === "move" ? `error in move for path: '${source.key}': ${sourceKey.error}` : `error in copy for from: '${from}': ${sourceKey.error}`);
      }
      const fromPointer = formatPointer(from === "" ? [] : [...source.prefix, sourceKey]);
      const value = jsonpatch.getValueByPointer(work, fromPointer) as unknown;
      let current = work;
      if (op === "move") current = run(current, { op: "remove", path: fromPointer }).doc as unknown;
      const target = findObject(current, toLibraryTokens(path));
      if (!target) return fail(`${op} operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
      const key = addKey(target.container, target.key);
      if (typeof key !== "string") {
        return fail(op === "move" ? `error in move for path: '${path}': ${key.error}` : `error while adding value during copy: ${key.error}`);
      }
      if (path === "") return { ok: true, doc: copyOf(value) };
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
  if (!Object.prototype.hasOwnProperty.call(container, token)) return { error: `unable to get nonexistent key: ${token}: ${MISSING}` };
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
    if (index >= container.length || index < -container.length) return { error: `Unable to access invalid index: ${index}: ${INVALID_INDEX}` };
    return String(index < 0 ? index + container.length : index);
  }
  if (!Object.prototype.hasOwnProperty.call(container, key)) {
    return { error: mode === "remove" ? `unable to remove nonexistent key: ${key}: ${MISSING}` : `unable to get nonexistent key: ${key}: ${MISSING}` };
  }
  return key;
}

/**
 * patch.go ensurePathExists, on our private copy: creates each missing parent — an array
 * when the next token is a number or "-" (padded with nulls up to that index), else an
 * object. Returns the library's error, if any.
 */
function ensurePathExists(doc: unknown, tokens: readonly string[]): string | undefined {
  if (!isContainer(doc)) return INVALID_STATE;
  let container: Container = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    const part = tokens[i]!;
    const nextPart = tokens[i + 1]!;
    const existing = child(container, part);
    if (existing.error === undefined) {
      if (!isContainer(existing.value)) return INVALID_STATE; // intoDoc of a scalar or null
      container = existing.value;
      continue;
    }
    const partIndex = toArrayIndex(part);
    if (Array.isArray(container) && partIndex !== undefined && partIndex >= container.length + 1) {
      while (container.length < partIndex) container.push(null);
    }
    let created: Container;
    const nextIndex = toArrayIndex(nextPart);
    if (nextIndex !== undefined || nextPart === "-") {
      let padding = nextIndex ?? 0;
      if (padding < -1) return `Unable to ensure path for negative index other than -1: ${padding}: ${INVALID_INDEX}`;
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
  return undefined;
}
