// Limits every input shares: request bodies, catalog files, policies and `check` inputs.
// One place, so `serve` and `check` never disagree about what is too large or too deep.

/**
 * Deepest nesting of objects and arrays accepted in any JSON or YAML input. The deepest
 * object kuma-guard reads, a CronJob's container probe (spec.jobTemplate.spec.template.spec
 * .containers[].livenessProbe.httpGet.httpHeaders[].value), is 14 levels below the root and
 * an AdmissionReview adds 2; 64 leaves room for CRD-like extensions while recursive code
 * (copies, schema validation, JSON.stringify) stays far from the stack's limit.
 */
export const MAX_NESTING_DEPTH = 64;

/** 7 MiB, as controller-runtime: an UPDATE carries object and oldObject, each up to etcd's ~3 MiB. */
export const DEFAULT_MAX_BODY = 7 * 1024 * 1024;

/**
 * Largest manifest file read into the catalog or by `check`: the API server refuses request
 * bodies over 3 MiB, so no single object is larger, and a file of that size parses in well
 * under a second into ~100 MB of YAML nodes, within the Deployment's memory limit.
 */
export const MAX_MANIFEST_FILE_BYTES = 3 * 1024 * 1024;

/**
 * The first path at which `value` nests deeper than `max` levels (the root is level 0),
 * or undefined when it does not. Iterative, so it is safe on input that would overflow
 * the stack of a recursive walk; paths are built only for the answer.
 */
export function pathDeeperThan(value: unknown, max: number = MAX_NESTING_DEPTH): string | undefined {
  interface Step {
    node: unknown;
    depth: number;
    parent: Step | undefined;
    key: string | number;
  }
  const stack: Step[] = [{ node: value, depth: 0, parent: undefined, key: "" }];
  while (stack.length > 0) {
    const step = stack.pop()!;
    const { node, depth } = step;
    if (node === null || typeof node !== "object") continue;
    if (depth >= max) return pathOf(step);
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) stack.push({ node: node[i], depth: depth + 1, parent: step, key: i });
    } else {
      for (const key of Object.keys(node)) stack.push({ node: (node as Record<string, unknown>)[key], depth: depth + 1, parent: step, key });
    }
  }
  return undefined;

  function pathOf(step: Step): string {
    const keys: (string | number)[] = [];
    for (let s: Step | undefined = step; s?.parent; s = s.parent) keys.unshift(s.key);
    const path = keys.map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? key : `.${key}`)).join("");
    return path || "(root)";
  }
}
