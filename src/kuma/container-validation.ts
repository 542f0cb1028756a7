import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { CONTAINER_TYPE, CONTAINER_TYPES } from "./container-fields.js";
import { escapeToken, formatPointer } from "./json-pointer.js";
import { compareQuantity, readQuantity } from "./quantity.js";
import type { Quantity } from "./quantity.js";

// Is a patched container still a valid Kubernetes Container? Two layers:
// 1. the real OpenAPI schema, via kubernetes-models' precompiled validator (types, enums,
//    required) — what Kuma's json.Unmarshal into corev1.Container trips over;
// 2. the API server's checks that need no cluster, from Kubernetes
//    pkg/apis/core/validation/validation.go (validateContainerCommon, ValidateResourceRequirements,
//    validateContainerPorts, validateProbe/validateHandler, ValidateSecurityContext).
// Both run on every simulation; the validator is generated code (microseconds per call).

/** One reason the container would fail Kuma's unmarshal or the API server. */
export interface ContainerProblem {
  /** JSON Pointer of the offending field inside the container ("" = the container). */
  pointer: string;
  message: string;
}

interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

type ValidateFunction = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

/**
 * kubernetes-models' generated validator for io.k8s.api.core.v1.Container, called directly:
 * `new Container(x).validate()` also renders an English message for every error (ajv-i18n),
 * which dominates the cost when probing. Falls back to the model class if the layout changes.
 * Loaded on first use: `check` on a file without ContainerPatches never needs it (~90 ms).
 */
let containerValidator: ValidateFunction | undefined;

function loadValidator(): ValidateFunction {
  const require = createRequire(import.meta.url);
  try {
    const root = dirname(require.resolve("kubernetes-models/package.json"));
    const schemaModule = require(join(root, "_schemas", "IoK8sApiCoreV1Container.js")) as { validate?: ValidateFunction };
    if (typeof schemaModule.validate === "function") return schemaModule.validate;
  } catch {
    // fall through to the public API
  }
  const { Container } = require("kubernetes-models/v1/Container") as typeof import("kubernetes-models/v1/Container");
  const viaModel: ValidateFunction = (data) => {
    try {
      new Container(data as ConstructorParameters<typeof Container>[0]).validate();
      viaModel.errors = null;
      return true;
    } catch (cause) {
      const errors = (cause as { errors?: unknown }).errors;
      viaModel.errors = Array.isArray(errors)
        ? (errors as SchemaError[])
        : [{ instancePath: "", keyword: "type", params: { type: "object" } }];
      return false;
    }
  };
  return viaModel;
}

/** Raw schema errors of the Container validator (empty when valid). */
function schemaErrors(data: unknown): SchemaError[] {
  const validate = (containerValidator ??= loadValidator());
  return validate(data) ? [] : [...(validate.errors ?? [])];
}

/** Every problem that makes `container` fail Kuma's unmarshal or the API server's validation. */
export function validateContainer(container: unknown): ContainerProblem[] {
  return judgeContainer(container).problems;
}

/** A container's problems, and those of them the schema found (kept apart: see judgeContainer's `base`). */
export interface ContainerJudgement {
  problems: ContainerProblem[];
  schemaProblems: readonly ContainerProblem[];
}

/**
 * validateContainer, and with `base` for a container that differs from one already judged
 * only under the top-level fields `changed`: the schema (the costly part) checks only those,
 * and `base`'s schema problems elsewhere stand; the API server's checks, which relate fields,
 * run on the whole container.
 */
export function judgeContainer(
  container: unknown,
  base?: { schemaProblems: readonly ContainerProblem[]; changed: ReadonlySet<string> },
): ContainerJudgement {
  if (container === null || typeof container !== "object" || Array.isArray(container)) {
    const problems = [{ pointer: "", message: "the patched container is not an object (a block replaced the whole container)" }];
    return { problems, schemaProblems: problems };
  }
  const c = container as Record<string, unknown>;
  let schema: ContainerProblem[];
  if (base) {
    const topOf = (pointer: string) => pointer.split("/")[1] ?? "";
    // name stays in the part: the schema requires it.
    const part: Record<string, unknown> = {};
    for (const key of [...base.changed, "name"]) if (Object.hasOwn(c, key)) part[key] = c[key];
    const kept = base.schemaProblems.filter((problem) => !base.changed.has(topOf(problem.pointer)) && topOf(problem.pointer) !== "name");
    schema = [...kept, ...schemaProblems(part)];
  } else schema = schemaProblems(c);
  return { problems: [...schema, ...apiServerProblems(c)], schemaProblems: schema };
}

const RESOURCE_PATH = /^\/resources\/(limits|requests)\/[^/]+$/;

/**
 * Items of one array the schema checks: the generated Container validator is quadratic in an
 * array's length (16,000 env entries took 5 s). Real containers have tens of items; past this
 * many, only the first are checked (the API server still checks them all when the pod is created).
 */
const MAX_CHECKED_ITEMS = 256;

/** `value` with every array cut to MAX_CHECKED_ITEMS items (a copy only where one is cut). */
function withCheckedItems(value: unknown): unknown {
  if (!hasLongList(value)) return value; // the usual case: looked at, never copied
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return (value.length > MAX_CHECKED_ITEMS ? value.slice(0, MAX_CHECKED_ITEMS) : value).map(withCheckedItems);
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of Object.keys(copy)) copy[key] = withCheckedItems(copy[key]);
  return copy;
}

function hasLongList(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) {
    if (value.length > MAX_CHECKED_ITEMS) return true;
    for (const item of value) if (hasLongList(item)) return true;
    return false;
  }
  for (const key in value) if (hasLongList((value as Record<string, unknown>)[key])) return true;
  return false;
}

function schemaProblems(container: Record<string, unknown>): ContainerProblem[] {
  const byPath = new Map<string, SchemaError[]>();
  for (const error of schemaErrors(withCheckedItems(container))) {
    if (RESOURCE_PATH.test(error.instancePath)) continue; // quantities are checked below, with the API server's wording
    const list = byPath.get(error.instancePath) ?? [];
    list.push(error);
    byPath.set(error.instancePath, list);
  }
  const problems: ContainerProblem[] = [];
  for (const [pointer, errors] of byPath) {
    const value = valueAt(container, pointer);
    const types = errors.filter((e) => e.keyword === "type").map((e) => String(e.params.type));
    for (const error of errors) {
      if (error.keyword === "required") {
        problems.push({
          pointer: `${pointer}/${String(error.params.missingProperty)}`,
          message: `${pointer}/${String(error.params.missingProperty)} is required`,
        });
      } else if (error.keyword === "enum") {
        const allowed = (error.params.allowedValues as unknown[] | undefined)?.join(", ") ?? "";
        problems.push({ pointer, message: `${pointer} ${JSON.stringify(value)} is not one of ${allowed}` });
      }
    }
    if (types.length > 0) {
      problems.push({
        pointer,
        message: `${pointer} must be ${[...new Set(types)].join(" or ")}, not ${kindOf(value)} (Kuma's unmarshal into corev1.Container fails)`,
      });
    } else if (!errors.some((e) => e.keyword === "required" || e.keyword === "enum")) {
      const first = errors[0]!;
      problems.push({ pointer, message: `${pointer} ${first.message ?? first.keyword}` });
    }
  }
  return problems;
}

/** DNS-1123 label (validation.go IsDNS1123Label): container names. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PROBES = ["livenessProbe", "readinessProbe", "startupProbe"] as const;
const PROBE_HANDLERS = ["exec", "httpGet", "tcpSocket", "grpc"] as const;
const LIFECYCLE_HANDLERS = ["exec", "httpGet", "tcpSocket", "sleep"] as const;

function apiServerProblems(c: Record<string, unknown>): ContainerProblem[] {
  const problems: ContainerProblem[] = [];
  if (typeof c.name === "string" && (c.name.length > 63 || !DNS_LABEL.test(c.name))) {
    problems.push({
      pointer: "/name",
      message: `/name ${JSON.stringify(c.name)} must be a DNS label (lower-case letters, digits, '-', at most 63)`,
    });
  }

  const resources = record(c.resources);
  const parsedByList: Record<string, Map<string, { text: string; quantity: Quantity }>> = {};
  for (const list of ["requests", "limits"] as const) {
    const values = new Map<string, { text: string; quantity: Quantity }>();
    parsedByList[list] = values;
    for (const [name, raw] of Object.entries(record(resources[list]))) {
      const pointer = formatPointer(["resources", list, name]);
      // Quantity.UnmarshalJSON accepts a JSON string (trimmed) or a number.
      const text = typeof raw === "string" ? raw.trim() : typeof raw === "number" ? String(raw) : undefined;
      if (text === undefined) {
        problems.push({ pointer, message: `${pointer} must be a quantity string such as "500m" or "1Gi", not ${kindOf(raw)}` });
        continue;
      }
      const quantity = readQuantity(text);
      if ("error" in quantity)
        problems.push({ pointer, message: `${pointer} ${JSON.stringify(raw)} is not a quantity: ${quantity.error}` });
      else if (quantity.value.value < 0)
        problems.push({ pointer, message: `${pointer} ${JSON.stringify(raw)} must be greater than or equal to 0` });
      else values.set(name, { text, quantity: quantity.value });
    }
  }
  for (const [name, request] of parsedByList.requests!) {
    const limit = parsedByList.limits!.get(name);
    if (limit === undefined) continue;
    if (compareQuantity(request.quantity, limit.quantity) > 0) {
      const pointer = formatPointer(["resources", "requests", name]);
      problems.push({ pointer, message: `${pointer} ${request.text} must be less than or equal to the ${name} limit of ${limit.text}` });
    }
  }

  const ports = Array.isArray(c.ports) ? c.ports : [];
  ports.forEach((port, index) => {
    const p = record(port);
    if (typeof p.containerPort === "number" && !isPort(p.containerPort)) {
      problems.push({
        pointer: `/ports/${index}/containerPort`,
        message: `/ports/${index}/containerPort ${p.containerPort} must be between 1 and 65535`,
      });
    }
    if (typeof p.hostPort === "number" && p.hostPort !== 0 && !isPort(p.hostPort)) {
      problems.push({ pointer: `/ports/${index}/hostPort`, message: `/ports/${index}/hostPort ${p.hostPort} must be between 1 and 65535` });
    }
  });

  for (const probe of PROBES) {
    if (c[probe] === undefined || c[probe] === null) continue;
    problems.push(...handlerProblems(record(c[probe]), `/${probe}`, PROBE_HANDLERS));
  }
  const lifecycle = record(c.lifecycle);
  for (const hook of ["postStart", "preStop"]) {
    if (lifecycle[hook] === undefined || lifecycle[hook] === null) continue;
    problems.push(...handlerProblems(record(lifecycle[hook]), `/lifecycle/${hook}`, LIFECYCLE_HANDLERS));
  }

  // validation.go ValidateSecurityContext: the literal comparisons the API server makes.
  const sc = record(c.securityContext);
  if (sc.allowPrivilegeEscalation === false) {
    const fix = `add /securityContext/allowPrivilegeEscalation "true"`;
    if (sc.privileged === true) {
      problems.push({
        pointer: "/securityContext",
        message: `privileged: true with allowPrivilegeEscalation: false (Kuma's sidecar default since 2.13) is rejected by the API server; fix: ${fix}`,
      });
    }
    const added = Array.isArray(record(sc.capabilities).add) ? (record(sc.capabilities).add as unknown[]) : [];
    if (added.includes("CAP_SYS_ADMIN")) {
      problems.push({
        pointer: "/securityContext/capabilities/add",
        message: `capability CAP_SYS_ADMIN with allowPrivilegeEscalation: false is rejected by the API server; fix: ${fix}`,
      });
    }
  }
  return problems;
}

function handlerProblems(handler: Record<string, unknown>, pointer: string, kinds: readonly string[]): ContainerProblem[] {
  const present = kinds.filter((kind) => handler[kind] !== undefined && handler[kind] !== null);
  if (present.length > 1)
    return [{ pointer, message: `${pointer} may not specify more than 1 handler type (has ${present.join(", ")}): remove all but one` }];
  if (present.length === 0) return [{ pointer, message: `${pointer} must specify a handler type (one of ${kinds.join(", ")})` }];
  const kind = present[0]!;
  const port = record(handler[kind]).port;
  if (typeof port === "number" && !isPort(port))
    return [{ pointer: `${pointer}/${kind}/port`, message: `${pointer}/${kind}/port ${port} must be between 1 and 65535` }];
  return [];
}

function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65535;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

/** The value at a JSON Pointer produced by the validator (no escapes in Container fields). */
function valueAt(root: unknown, pointer: string): unknown {
  let current = root;
  for (const token of pointer.split("/").slice(1)) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[token.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return current;
}

// ---- fields a Container does not have ----

/** A key Kuma's unmarshal into corev1.Container would silently drop. */
export interface UnknownField {
  /** Pointer of the topmost unknown key. */
  pointer: string;
  key: string;
  /** A field of the same object the schema does have, one edit away (or differing in case). */
  suggestion?: string;
}

/**
 * Keys a Kubernetes Container does not have (Kuma's unmarshal silently drops them), found by
 * walking the container along the field table of kubernetes-models' types: linear in the
 * container's size. Below a field whose value has the wrong type (an object where a string
 * belongs) nothing is known, so every key there is reported: the schema problems say why.
 */
export function unknownFields(container: unknown): UnknownField[] {
  const found: UnknownField[] = [];
  if (container !== null && typeof container === "object" && !Array.isArray(container)) walkFields(container, CONTAINER_TYPE, "", found);
  return found;
}

function walkFields(value: object, shape: string | undefined, pointer: string, found: UnknownField[]): void {
  if (shape === "any") return;
  if (Array.isArray(value)) {
    const items = shape?.startsWith("[") ? shape.slice(1, -1) : undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item !== null && typeof item === "object") walkFields(item, items, `${pointer}/${i}`, found);
    }
    return;
  }
  const fields = shape === undefined ? undefined : CONTAINER_TYPES[shape];
  const mapOf = shape?.startsWith("{") ? shape.slice(1, -1) : undefined;
  for (const key of Object.keys(value)) {
    const child: unknown = (value as Record<string, unknown>)[key];
    const childShape = mapOf ?? (fields && Object.hasOwn(fields, key) ? fields[key] : undefined);
    if (childShape === undefined) {
      if (!hasLeaf(child)) continue; // an empty object or list: nothing would be dropped
      const suggestion = fields ? suggest(key, Object.keys(fields)) : undefined;
      found.push({ pointer: `${pointer}/${escapeToken(key)}`, key, ...(suggestion ? { suggestion } : {}) });
    } else if (child !== null && typeof child === "object") {
      const childPointer = `${pointer}/${escapeToken(key)}`;
      // A list or object where the type has a scalar (or the other way round): nothing below is known.
      const fits =
        childShape === "any" ||
        (Array.isArray(child) ? childShape!.startsWith("[") : childShape !== "scalar" && !childShape!.startsWith("["));
      walkFields(child, fits ? childShape : undefined, childPointer, found);
    }
  }
}

function hasLeaf(value: unknown): boolean {
  if (value === null || typeof value !== "object") return true;
  return Object.values(value).some(hasLeaf);
}

/**
 * The known field one edit from `key` (insertion, deletion, substitution or transposition of
 * adjacent characters), preferring one that differs only in case, then the first in order.
 */
function suggest(key: string, known: readonly string[]): string | undefined {
  const close = known.filter((field) => oneEditApart(key, field));
  return close.find((field) => field.toLowerCase() === key.toLowerCase()) ?? close.sort()[0];
}

function oneEditApart(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const restA = endA - start;
  const restB = endB - start;
  if (restA <= 1 && restB <= 1) return true; // one inserted, deleted or substituted character
  return restA === 2 && restB === 2 && a[start] === b[start + 1] && a[start + 1] === b[start]; // a transposition
}
