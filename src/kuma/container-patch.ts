import { MAX_NESTING_DEPTH, MAX_PATCH_BLOCKS, textDeeperThan } from "../limits.js";
import { validate as generatedValidator } from "./container-patch-schema-validator.js";
import { parsePointer } from "./json-pointer.js";
import { clip } from "./message.js";
import type { Problem, ProblemParams } from "./model.js";

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
  /** The spec passed the structural schema (schemas/containerpatch.schema.json); the blocks read, when a list is cut. */
  schemaValid: boolean;
  /** Blocks of each list past MAX_PATCH_BLOCKS, not read: a bound on the work one ContainerPatch may cost. */
  unread: Readonly<Record<PatchList, number>>;
}

/**
 * The blocks of a ContainerPatch spec, read totally, with the structural schema's verdict.
 * Pure: the snapshot reads each catalog spec once, a review reads its own spec once.
 */
export function readPatchSpec(spec: unknown): PatchSpecReading {
  return read(spec);
}

function read(spec: unknown): PatchSpecReading {
  const blocks: PatchBlock[] = [];
  const shapeProblems: ShapeProblem[] = [];
  const unread: Record<PatchList, number> = { sidecarPatch: 0, initPatch: 0 };
  const done = (checked: unknown) => ({ blocks, shapeProblems, schemaValid: validateStructure({ spec: checked }), unread });
  if (spec === undefined || spec === null) return done(spec === undefined ? {} : spec);
  if (typeof spec !== "object" || Array.isArray(spec)) {
    shapeProblems.push({ path: "spec", message: `spec must be an object with sidecarPatch and/or initPatch lists, not ${describe(spec)}` });
    return done(spec);
  }
  const checked: Record<string, unknown> = { ...spec };
  for (const list of PATCH_LISTS) {
    const items = checked[list];
    if (items === undefined || items === null) continue;
    if (!Array.isArray(items)) {
      shapeProblems.push({ path: `spec.${list}`, message: `spec.${list} must be a list of patch blocks, not ${describe(items)}` });
      continue;
    }
    const read = items.length > MAX_PATCH_BLOCKS ? items.slice(0, MAX_PATCH_BLOCKS) : items;
    unread[list] = items.length - read.length;
    checked[list] = read;
    read.forEach((item, index) => {
      const isObject = item !== null && typeof item === "object" && !Array.isArray(item);
      const fields = isObject ? (item as Record<string, unknown>) : {};
      blocks.push({
        list,
        index,
        fieldPath: `spec.${list}[${index}]`,
        isObject,
        op: fields.op,
        path: fields.path,
        value: fields.value,
        from: fields.from,
      });
    });
  }
  return done(checked);
}

/** The blocks of one list of a read spec, in order. */
export function blocksOf(reading: PatchSpecReading, list: PatchList): readonly PatchBlock[] {
  return reading.blocks.filter((block) => block.list === list);
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

const err = <C extends string>(code: C, message: string, path: string, params: ProblemParams): Problem<C> => ({
  severity: "error",
  code,
  message,
  path,
  params,
});
const adv = <C extends string>(code: C, message: string, path: string, params: ProblemParams): Problem<C> => ({
  severity: "advisory",
  code,
  message,
  path,
  params,
});

/** The codes of checkOp's findings (documented by the patch-op rule). */
export type OpCode = "not-a-block" | "missing-op" | "op-not-a-string" | "test-op" | "unknown-op";
/** The codes of checkPath's and checkFrom's findings (documented by patch-path and patch-from). */
export type PointerCode = "missing" | "not-a-string" | "not-a-pointer" | "empty-segment";
/** The codes of checkValue's findings (documented by the patch-value rule). */
export type ValueCode = "ignored-value" | "missing" | "not-a-string" | "empty" | "too-deep" | "invalid-json" | "unquoted-string";

/** patch-op: the block is an object and its op is one Kuma's CRD allows. */
export function checkOp(block: PatchBlock): Problem<OpCode>[] {
  const where = `${block.list}[${block.index}]`;
  if (!block.isObject)
    return [
      err(
        "not-a-block",
        `${where} is not a patch block: write an object {op, path, value}; Kuma's CRD rejects anything else`,
        block.fieldPath,
        { block: where },
      ),
    ];
  const path = `${block.fieldPath}.op`;
  if (block.op === undefined || block.op === null || block.op === "") {
    return [err("missing-op", `${where} has no op; Kuma's CRD requires one of add, remove, replace, move, copy`, path, { block: where })];
  }
  if (typeof block.op !== "string")
    return [
      err("op-not-a-string", `${where}.op is ${describe(block.op)}; it must be one of add, remove, replace, move, copy`, path, {
        block: where,
      }),
    ];
  if (KUMA_OPS.includes(block.op)) return [];
  if (block.op === "test") {
    return [
      err(
        "test-op",
        `${where}.op "test" is not allowed: Kuma's CRD accepts only add, remove, replace, move, copy (RFC 6902 test is excluded); remove the block`,
        path,
        { block: where },
      ),
    ];
  }
  const lower = block.op.trim().toLowerCase();
  const hint = KUMA_OPS.includes(lower) ? ` (ops are lower-case: write "${lower}")` : "";
  return [
    err(
      "unknown-op",
      `${where}.op ${clip(JSON.stringify(block.op))} is not an op Kuma's CRD accepts: use add, remove, replace, move or copy${hint}`,
      path,
      { block: where, op: clip(block.op) },
    ),
  ];
}

/** patch-path: path present and an RFC 6901 pointer without empty tokens. */
export function checkPath(block: PatchBlock): Problem<PointerCode>[] {
  if (!block.isObject) return [];
  return checkPointer(block.path, `${block.list}[${block.index}]`, "path", `${block.fieldPath}.path`);
}

/** patch-from: move/copy carry a valid `from` pointer. */
export function checkFrom(block: PatchBlock): Problem<PointerCode>[] {
  if (!block.isObject || (block.op !== "move" && block.op !== "copy")) return [];
  const where = `${block.list}[${block.index}]`;
  if (block.from === undefined || block.from === null || block.from === "") {
    const effect = block.op === "move" ? "injection fails" : "it copies the whole container";
    return [
      err(
        "missing",
        `${where}.from is missing: ${block.op} needs the pointer to take the value from (Kuma passes "", so ${effect}), e.g. from: /securityContext/runAsUser`,
        `${block.fieldPath}.from`,
        { block: where, op: block.op },
      ),
    ];
  }
  return checkPointer(block.from, where, "from", `${block.fieldPath}.from`);
}

function checkPointer(value: unknown, block: string, field: "path" | "from", path: string): Problem<PointerCode>[] {
  const where = `${block}.${field}`;
  if (value === undefined || value === null)
    return [
      err("missing", `${where} is missing; Kuma's CRD requires a JSON Pointer into the container, e.g. /securityContext/runAsUser`, path, {
        block,
      }),
    ];
  if (typeof value !== "string")
    return [
      err("not-a-string", `${where} is ${describe(value)}; it must be a JSON Pointer string such as /resources/limits/cpu`, path, {
        block,
      }),
    ];
  const parsed = parsePointer(value);
  if ("error" in parsed)
    return [
      err(
        "not-a-pointer",
        `${where} ${clip(JSON.stringify(value))} is not a JSON Pointer: ${parsed.error}; Kuma's patch library misreads it`,
        path,
        { block, pointer: value },
      ),
    ];
  if (parsed.value.includes("")) {
    return [
      err(
        "empty-segment",
        `${where} ${clip(JSON.stringify(value))} has an empty segment ("//" or a trailing "/"); Kuma's library reads it as the same object: remove the extra "/"`,
        path,
        { block, pointer: value },
      ),
    ];
  }
  return [];
}

/** patch-value: add/replace carry a string holding a JSON document; a value elsewhere is ignored. */
export function checkValue(block: PatchBlock): Problem<ValueCode>[] {
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
    return [
      err(
        "missing",
        `${where} is missing: ${block.op} needs a string holding JSON, e.g. value: '"100m"' or value: "true"; Kuma fails injection without it`,
        path,
        { block: name, op: block.op },
      ),
    ];
  }
  if (typeof block.value !== "string") {
    const fix = clip((JSON.stringify(block.value) ?? "null").replace(/'/g, "''"));
    return [
      err(
        "not-a-string",
        `${where} is ${describe(block.value)}, but Kuma's CRD wants a string holding JSON; quote it: value: '${fix}'`,
        path,
        { block: name },
      ),
    ];
  }
  if (block.value.trim() === "")
    return [
      err("empty", `${where} is empty: write the JSON to ${block.op}, e.g. '"100m"', "true" or '{"type":"RuntimeDefault"}'`, path, {
        block: name,
        op: block.op,
      }),
    ];
  // Checked before parsing: the text may nest 100,000 levels, and every later step recurses.
  if (textDeeperThan(block.value) !== undefined)
    return [
      err(
        "too-deep",
        `${where} nests deeper than ${MAX_NESTING_DEPTH} levels; no field of a Container is nearly that deep, and kuma-guard reads no JSON deeper`,
        path,
        { block: name, limit: MAX_NESTING_DEPTH },
      ),
    ];
  const syntaxError = jsonSyntaxError(block.value);
  if (syntaxError === undefined) return [];
  const text = block.value.trim();
  if (/^[[{"]/.test(text)) {
    return [
      err(
        "invalid-json",
        `${where} ${clip(text)} is not valid JSON (${syntaxError.slice(0, 80)}); Kuma hands value to its patch library as JSON and injection fails`,
        path,
        { block: name, reason: syntaxError },
      ),
    ];
  }
  return [
    err(
      "unquoted-string",
      `${where} ${clip(block.value)} is not JSON: Kuma parses value as a JSON document, so a string needs its own quotes: ${clip(block.value)} → '${clip(JSON.stringify(block.value))}'`,
      path,
      { block: name, fix: JSON.stringify(block.value) },
    ),
  ];
}

/** JSON.parse's complaint about `text`, undefined for valid JSON. */
function jsonSyntaxError(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (cause) {
    return cause instanceof Error ? cause.message : "invalid JSON";
  }
}

/**
 * True when no block has an error from patch-op, patch-path, patch-value or patch-from:
 * patch-apply and patch-container may run (one root cause, one finding).
 */
export function isSpecSound(reading: PatchSpecReading): boolean {
  return reading.shapeProblems.length === 0 && reading.blocks.every(isBlockSound);
}

/** True when the block passes patch-op, patch-path, patch-value and patch-from (advisories allowed). */
export function isBlockSound(block: PatchBlock): boolean {
  for (const check of BLOCK_CHECKS) for (const finding of check(block)) if (finding.severity === "error") return false;
  return true;
}

const BLOCK_CHECKS = [checkOp, checkPath, checkValue, checkFrom] as const;

/** schemas/containerpatch.schema.json, compiled by `npm run docs` (ajv standalone code): no compiler at start-up. */
const validateStructure = generatedValidator as (data: unknown) => boolean;

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
