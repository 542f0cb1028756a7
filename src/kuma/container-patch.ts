import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { parsePointer } from "./json-pointer.js";
import { memoizeByText } from "./memo.js";
import type { ReviewMemo } from "./memo.js";
import type { FindingParams, RuleFinding } from "../rules/types.js";

// Reading ContainerPatch blocks out of an untrusted spec (anything: null, a string, blocks
// that are numbers), and the per-field checks behind patch-op, patch-path, patch-value and
// patch-from. Kuma: pkg/plugins/resources/k8s/native/api/v1alpha1/container_patch.go
// (JsonPatchBlock, ToJsonPatch: value is used as raw JSON, from is always set, maybe "").

/** The two block lists of a ContainerPatch spec: sidecarPatch patches kuma-sidecar, initPatch kuma-init. */
export type PatchList = "sidecarPatch" | "initPatch";
/** Both lists, in the order Kuma applies them (sidecar first, injector.go injectKuma). */
export const PATCH_LISTS: readonly PatchList[] = ["sidecarPatch", "initPatch"];
/** The ops the CRD enum allows (container_patch.go). */
export const KUMA_OPS: readonly string[] = ["add", "remove", "replace", "move", "copy"];

/** One entry of spec.sidecarPatch / spec.initPatch, fields as written (undefined when absent). */
export interface PatchBlock {
  list: PatchList;
  index: number;
  /** Dotted field path of the block: `spec.sidecarPatch[2]`. */
  fieldPath: string;
  isObject: boolean;
  op: unknown;
  path: unknown;
  value: unknown;
  from: unknown;
}

/** A problem with the spec's shape itself (spec or a list of the wrong type). */
export interface ShapeProblem {
  path: string;
  message: string;
}

/** A spec read totally: its blocks, what is wrong with its shape, and the schema verdict. */
export interface PatchSpecReading {
  blocks: readonly PatchBlock[];
  shapeProblems: readonly ShapeProblem[];
  /** The spec passed the structural schema (schemas/containerpatch.schema.json). */
  schemaValid: boolean;
}

/** The ContainerPatch schema, compiled once at module load; the structural first pass. */
const validateStructure = createStructureValidator();

/**
 * Readings and soundness of catalog specs: shared, read-only objects that live as long as the
 * catalog holds them, so every workload review asks about the same few. The spec of the
 * ContainerPatch under review is a request's object: it goes through the review's memo and
 * never near these maps (memo.ts says why), unless it is kept as a recent reviewed spec
 * (below), which then lives on as a catalog spec does.
 */
const catalogReadings = new WeakMap<object, PatchSpecReading>();
const catalogSoundness = new WeakMap<object, boolean>();

/**
 * The blocks of a ContainerPatch spec, read totally. With `memo`: a spec of the request under
 * review, read once per review. Without: a catalog spec, read once for as long as it lives.
 */
export function readPatchSpec(spec: unknown, memo?: ReviewMemo): PatchSpecReading {
  return onceForSpec("spec-reading", catalogReadings, spec, memo, read);
}

/**
 * `compute(spec)` once: per review for a spec under review (`memo`), through the kept spec of
 * equal content when there is one, whose result `cache` then holds across requests; for as
 * long as it lives for a catalog spec (no `memo`).
 */
function onceForSpec<V>(slot: string, cache: WeakMap<object, V>, spec: unknown, memo: ReviewMemo | undefined, compute: (spec: unknown, memo?: ReviewMemo) => V): V {
  if (!memo) return cachedForCatalog(cache, spec, () => compute(spec));
  return memo.get(slot, spec, () => {
    const shared = sharedSpec(spec, memo);
    return shared === undefined ? compute(spec, memo) : cachedForCatalog(cache, shared, () => compute(shared));
  });
}

/**
 * Specs of ContainerPatches reviewed lately. GitOps tools re-apply the same patch over and
 * over: a spec equal in content to one of these is read and judged as that one, whose
 * results the catalog's maps keep (it lives on here, so they may hold it). Small specs
 * only; the oldest goes first.
 */
const recentReviewedSpecs: unknown[] = [];
const RECENT_REVIEWED_SPECS = 8;

/**
 * The kept spec equal to `spec` (kept now if new and small), or undefined for a spec too
 * large to keep. A long-lived object: caches across requests may hold it. Once per review.
 */
export function sharedSpec(spec: unknown, memo: ReviewMemo): unknown {
  return memo.get("shared-spec", spec, () => {
    if (spec === null || typeof spec !== "object") return undefined;
    const kept = recentReviewedSpecs.find((candidate) => sameJson(candidate, spec));
    if (kept !== undefined) return kept;
    if (!isSmallSpec(spec)) return undefined;
    if (recentReviewedSpecs.unshift(spec) > RECENT_REVIEWED_SPECS) recentReviewedSpecs.pop();
    return spec;
  });
}

/** A reviewed spec with more JSON is not kept, so the kept specs, and what the caches hold for
 *  them, stay small (a typical ContainerPatch is well under 2 KiB). Measured only on a miss. */
const MAX_CACHED_SPEC_CHARS = 4 * 1024;

/** True when a reviewed spec is small enough to be kept across requests. */
function isSmallSpec(spec: unknown): boolean {
  return String(JSON.stringify(spec)).length <= MAX_CACHED_SPEC_CHARS;
}

/** Equality of two JSON values (object key order aside), without building anything. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object" || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    if (a.length !== other.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], other[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let keys = 0;
  for (const key in x) {
    if (!Object.hasOwn(y, key) || !sameJson(x[key], y[key])) return false;
    keys++;
  }
  for (const key in y) if (Object.hasOwn(y, key)) keys--;
  return keys === 0;
}

function cachedForCatalog<V>(cache: WeakMap<object, V>, spec: unknown, compute: () => V): V {
  if (spec === null || typeof spec !== "object") return compute();
  let value = cache.get(spec);
  if (value === undefined) {
    value = compute();
    cache.set(spec, value);
  }
  return value;
}

function read(spec: unknown): PatchSpecReading {
  const schemaValid = validateStructure({ spec: spec === undefined ? {} : spec });
  const blocks: PatchBlock[] = [];
  const shapeProblems: ShapeProblem[] = [];
  if (spec === undefined || spec === null) return { blocks, shapeProblems, schemaValid };
  if (typeof spec !== "object" || Array.isArray(spec)) {
    shapeProblems.push({ path: "spec", message: `spec must be an object with sidecarPatch and/or initPatch lists, not ${describe(spec)}` });
    return { blocks, shapeProblems, schemaValid };
  }
  for (const list of PATCH_LISTS) {
    const items = (spec as Record<string, unknown>)[list];
    if (items === undefined || items === null) continue;
    if (!Array.isArray(items)) {
      shapeProblems.push({ path: `spec.${list}`, message: `spec.${list} must be a list of patch blocks, not ${describe(items)}` });
      continue;
    }
    items.forEach((item, index) => {
      const isObject = item !== null && typeof item === "object" && !Array.isArray(item);
      const fields = isObject ? (item as Record<string, unknown>) : {};
      blocks.push({ list, index, fieldPath: `spec.${list}[${index}]`, isObject, op: fields.op, path: fields.path, value: fields.value, from: fields.from });
    });
  }
  return { blocks, shapeProblems, schemaValid };
}

/** The blocks of one list of a spec; `memo` as for readPatchSpec. */
export function blocksOf(spec: unknown, list: PatchList, memo?: ReviewMemo): readonly PatchBlock[] {
  return readPatchSpec(spec, memo).blocks.filter((block) => block.list === list);
}

/** "YAML boolean true", "the number 5": how a non-string value looks to the user. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${clip(JSON.stringify(value))}`;
  if (typeof value === "boolean") return `the YAML boolean ${String(value)}`;
  return `the ${typeof value} ${String(value)}`;
}

// ---- per-field checks, one per rule; each returns findings with the field's path ----

const err = <C extends string>(code: C, message: string, path: string, params: FindingParams): RuleFinding<C> => ({ severity: "error", code, message, path, params });
const adv = <C extends string>(code: C, message: string, path: string, params: FindingParams): RuleFinding<C> => ({ severity: "advisory", code, message, path, params });

/** The codes of checkOp's findings (documented by the patch-op rule). */
export type OpCode = "not-a-block" | "missing-op" | "op-not-a-string" | "test-op" | "unknown-op";
/** The codes of checkPath's and checkFrom's findings (documented by patch-path and patch-from). */
export type PointerCode = "missing" | "not-a-string" | "not-a-pointer" | "empty-segment";
/** The codes of checkValue's findings (documented by the patch-value rule). */
export type ValueCode = "ignored-value" | "missing" | "not-a-string" | "empty" | "invalid-json" | "unquoted-string";

/** patch-op: the block is an object and its op is one Kuma's CRD allows. */
export function checkOp(block: PatchBlock): RuleFinding<OpCode>[] {
  const where = `${block.list}[${block.index}]`;
  if (!block.isObject) return [err("not-a-block", `${where} is not a patch block: write an object {op, path, value}; Kuma's CRD rejects anything else`, block.fieldPath, { block: where })];
  const path = `${block.fieldPath}.op`;
  if (block.op === undefined || block.op === null || block.op === "") {
    return [err("missing-op", `${where} has no op; Kuma's CRD requires one of add, remove, replace, move, copy`, path, { block: where })];
  }
  if (typeof block.op !== "string") return [err("op-not-a-string", `${where}.op is ${describe(block.op)}; it must be one of add, remove, replace, move, copy`, path, { block: where })];
  if (KUMA_OPS.includes(block.op)) return [];
  if (block.op === "test") {
    return [err("test-op", `${where}.op "test" is not allowed: Kuma's CRD accepts only add, remove, replace, move, copy (RFC 6902 test is excluded); remove the block`, path, { block: where })];
  }
  const lower = block.op.trim().toLowerCase();
  const hint = KUMA_OPS.includes(lower) ? ` (ops are lower-case: write "${lower}")` : "";
  return [err("unknown-op", `${where}.op ${clip(JSON.stringify(block.op))} is not an op Kuma's CRD accepts: use add, remove, replace, move or copy${hint}`, path, { block: where, op: clip(block.op) })];
}

/** patch-path: path present and an RFC 6901 pointer without empty tokens. */
export function checkPath(block: PatchBlock): RuleFinding<PointerCode>[] {
  if (!block.isObject) return [];
  return checkPointer(block.path, `${block.list}[${block.index}]`, "path", `${block.fieldPath}.path`);
}

/** patch-from: move/copy carry a valid `from` pointer. */
export function checkFrom(block: PatchBlock): RuleFinding<PointerCode>[] {
  if (!block.isObject || (block.op !== "move" && block.op !== "copy")) return [];
  const where = `${block.list}[${block.index}]`;
  if (block.from === undefined || block.from === null || block.from === "") {
    const effect = block.op === "move" ? "injection fails" : "it copies the whole container";
    return [err("missing", `${where}.from is missing: ${block.op} needs the pointer to take the value from (Kuma passes "", so ${effect}), e.g. from: /securityContext/runAsUser`, `${block.fieldPath}.from`, { block: where, op: block.op })];
  }
  return checkPointer(block.from, where, "from", `${block.fieldPath}.from`);
}

function checkPointer(value: unknown, block: string, field: "path" | "from", path: string): RuleFinding<PointerCode>[] {
  const where = `${block}.${field}`;
  if (value === undefined || value === null) return [err("missing", `${where} is missing; Kuma's CRD requires a JSON Pointer into the container, e.g. /securityContext/runAsUser`, path, { block })];
  if (typeof value !== "string") return [err("not-a-string", `${where} is ${describe(value)}; it must be a JSON Pointer string such as /resources/limits/cpu`, path, { block })];
  const parsed = parsePointer(value);
  if ("error" in parsed) return [err("not-a-pointer", `${where} ${clip(JSON.stringify(value))} is not a JSON Pointer: ${parsed.error}; Kuma's patch library misreads it`, path, { block, pointer: value })];
  if (parsed.value.includes("")) {
    return [err("empty-segment", `${where} ${clip(JSON.stringify(value))} has an empty segment ("//" or a trailing "/"); Kuma's library reads it as the same object: remove the extra "/"`, path, { block, pointer: value })];
  }
  return [];
}

/** patch-value: add/replace carry a string holding a JSON document; a value elsewhere is ignored. */
export function checkValue(block: PatchBlock): RuleFinding<ValueCode>[] {
  if (!block.isObject || typeof block.op !== "string") return [];
  const name = `${block.list}[${block.index}]`;
  const where = `${name}.value`;
  const path = `${block.fieldPath}.value`;
  const needsValue = block.op === "add" || block.op === "replace";
  if (!needsValue) {
    if (block.value === undefined || !KUMA_OPS.includes(block.op)) return [];
    return [adv("ignored-value", `${where} is ignored: ${block.op} takes no value; remove it`, path, { block: name, op: block.op })];
  }
  if (block.value === undefined || block.value === null) {
    return [err("missing", `${where} is missing: ${block.op} needs a string holding JSON, e.g. value: '"100m"' or value: "true"; Kuma fails injection without it`, path, { block: name, op: block.op })];
  }
  if (typeof block.value !== "string") {
    const fix = clip((JSON.stringify(block.value) ?? "null").replace(/'/g, "''"));
    return [err("not-a-string", `${where} is ${describe(block.value)}, but Kuma's CRD wants a string holding JSON; quote it: value: '${fix}'`, path, { block: name })];
  }
  if (block.value.trim() === "") return [err("empty", `${where} is empty: write the JSON to ${block.op}, e.g. '"100m"', "true" or '{"type":"RuntimeDefault"}'`, path, { block: name, op: block.op })];
  const syntaxError = jsonSyntaxError(block.value);
  if (syntaxError === undefined) return [];
  const text = block.value.trim();
  if (/^[[{"]/.test(text)) {
    return [err("invalid-json", `${where} ${clip(text)} is not valid JSON (${syntaxError.slice(0, 80)}); Kuma hands value to its patch library as JSON and injection fails`, path, { block: name, reason: syntaxError })];
  }
  return [err("unquoted-string", `${where} ${clip(block.value)} is not JSON: Kuma parses value as a JSON document, so a string needs its own quotes: ${clip(block.value)} → '${clip(JSON.stringify(block.value))}'`, path, { block: name, fix: JSON.stringify(block.value) })];
}

/** JSON.parse's complaint about `text`, undefined for valid JSON. Memoized: patches re-send the same values. */
const jsonSyntaxError = memoizeByText((text: string): string | undefined => {
  try {
    JSON.parse(text);
    return undefined;
  } catch (cause) {
    return cause instanceof Error ? cause.message : "invalid JSON";
  }
});

/** A value shortened for a message (warnings are cut at 256 characters). */
export function clip(text: string): string {
  return text.length > 40 ? text.slice(0, 37) + "..." : text;
}

/**
 * True when no block has an error from patch-op, patch-path, patch-value or patch-from:
 * patch-apply and patch-container may run. `memo` as for readPatchSpec.
 */
export function isSpecSound(spec: unknown, memo?: ReviewMemo): boolean {
  return onceForSpec("spec-sound", catalogSoundness, spec, memo, isSpecSoundUncached);
}

function isSpecSoundUncached(spec: unknown, memo?: ReviewMemo): boolean {
  const reading = readPatchSpec(spec, memo);
  if (reading.shapeProblems.length > 0) return false;
  return reading.blocks.every(isBlockSound);
}

/** True when the block passes patch-op, patch-path, patch-value and patch-from (advisories allowed). */
export function isBlockSound(block: PatchBlock): boolean {
  for (const check of BLOCK_CHECKS) for (const finding of check(block)) if (finding.severity === "error") return false;
  return true;
}

const BLOCK_CHECKS = [checkOp, checkPath, checkValue, checkFrom] as const;

function createStructureValidator(): (data: unknown) => boolean {
  const ajv = new Ajv({ allErrors: false, strict: false });
  addFormats.default(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(findSchema(), "utf8")) as object);
  return (data) => validate(data) === true;
}

/** schemas/ sits at the package root: two levels up from dist/kuma, three from .test-build/src/kuma. */
function findSchema(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5; depth++) {
    const candidate = join(dir, "schemas", "containerpatch.schema.json");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error("schemas/containerpatch.schema.json not found next to kuma-guard");
}

/** `sidecarPatch[2] (replace /securityContext/privileged)`: how messages name a block. */
export function blockLabel(block: PatchBlock): string {
  const op = typeof block.op === "string" ? block.op : "?";
  const path = typeof block.path === "string" ? block.path : "?";
  return `${block.list}[${block.index}] (${op} ${path})`;
}

/** The rendered container a list patches. */
export function containerOf(list: PatchList): "kuma-sidecar" | "kuma-init" {
  return list === "sidecarPatch" ? "kuma-sidecar" : "kuma-init";
}

/** Longest message a rule emits: "<rule-id>: <message>" must stay under the API server's 256-character warning cut. */
export const MAX_MESSAGE = 230;

/** `message` cut to MAX_MESSAGE, for messages that quote unbounded user text (paths, names). */
export function fitMessage(message: string): string {
  return message.length <= MAX_MESSAGE ? message : message.slice(0, MAX_MESSAGE - 3) + "...";
}
