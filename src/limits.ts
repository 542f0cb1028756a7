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
      for (const key of Object.keys(node))
        stack.push({ node: (node as Record<string, unknown>)[key], depth: depth + 1, parent: step, key });
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

/**
 * The first line at which YAML or JSON `text` may nest deeper than `max` levels, or undefined.
 * A linear scan run before parsing: the yaml library recurses once per level, costs time
 * quadratic in the depth of a document and overflows the stack near 1,000 levels (2 KB of
 * `- - - …`). It counts flow brackets outside quoted strings and comments; in block style a
 * line is one level per `- ` or `? ` and one for a mapping key, below the nearest less-indented
 * line. It may over-count a little (a literal block's indentation) and under-count a sequence
 * written at its key's indentation, or lines after a plain scalar holding a flow indicator
 * (`$ {`); pathDeeperThan() gives the exact answer after parsing.
 */
export function textDeeperThan(text: string, max: number = MAX_NESTING_DEPTH): number | undefined {
  let flow = 0;
  let line = 1;
  /** Open block lines: their indentation and the depth their children start from. */
  const open: { indent: number; depth: number }[] = [];
  let base = 0;
  let i = 0;
  while (i < text.length) {
    let lineIndent: number | undefined;
    if (flow === 0) {
      let indent = 0;
      while (text[i + indent] === " ") indent++;
      const first = text[i + indent];
      if (first !== undefined && first !== "\n" && first !== "\r" && first !== "#") {
        while (open.length > 0 && open[open.length - 1]!.indent >= indent) open.pop();
        base = open.length > 0 ? open[open.length - 1]!.depth : 0;
        lineIndent = indent;
        i += indent;
      }
    }
    let depth = base;
    let sawKey = false;
    let atToken = true; // a quote or comment starts only where a token may start
    for (; i < text.length && text[i] !== "\n"; i++) {
      const c = text[i];
      if (c === '"' && atToken) {
        for (i++; i < text.length && text[i] !== '"'; i++) {
          if (text[i] === "\\") i++;
          else if (text[i] === "\n") line++;
        }
        atToken = false;
        continue;
      }
      if (c === "'" && atToken) {
        for (i++; i < text.length; i++) {
          if (text[i] === "'" && text[i + 1] === "'") i++;
          else if (text[i] === "'") break;
          else if (text[i] === "\n") line++;
        }
        atToken = false;
        continue;
      }
      if (c === "#" && atToken) {
        while (i + 1 < text.length && text[i + 1] !== "\n") i++;
        continue;
      }
      const spaced = text[i + 1] === " " || text[i + 1] === "\n" || text[i + 1] === "\r" || text[i + 1] === undefined;
      const opens: boolean = (c === "[" || c === "{") && atToken; // inside a plain scalar (`-{`, `a[0]`) a bracket is text
      if (opens) flow++;
      else if ((c === "]" || c === "}") && flow > 0) flow--;
      else if (flow === 0 && (c === "-" || c === "?") && atToken && spaced) depth++;
      else if (flow === 0 && c === ":" && !sawKey && spaced) {
        sawKey = true;
        depth++;
      }
      if (depth + flow > max) return line;
      // An indicator (`- `, `: `, `? `) is followed by a space, which starts the next token itself;
      // in flow style a value may follow `:` at once (JSON: `"k":[`).
      atToken = c === " " || c === "\t" || opens || (c === "," && flow > 0) || (c === ":" && flow > 0);
    }
    if (lineIndent !== undefined) open.push({ indent: lineIndent, depth });
    i++; // the newline
    line++;
  }
  return undefined;
}

/**
 * Blocks read from each list of a ContainerPatch, and blocks simulated per container along one
 * chain of patches. Kuma's docs and tests use a handful; 1,000 leaves room for generated patches
 * while a review stays around 10 ms. A 3 MiB ContainerPatch holds ~40,000 blocks, and a pod
 * annotation can name one patch 100,000 times: past the limit patch-apply/not-simulated denies,
 * never a guess.
 */
export const MAX_PATCH_BLOCKS = 1000;

/**
 * Names read from a workload's `kuma.io/container-patches`. Real workloads name a handful; a
 * 256 KiB annotation holds ~37,000 (`p-1,p-2,…`), and every name is looked up in the catalog,
 * perhaps fetched, and placed in the chain: ~2 µs each, so 37,000 cost ~80 ms of event loop.
 * Past the limit workload-missing-patch/too-many-names denies: the rest cannot be checked.
 */
export const MAX_PATCH_NAMES = 1000;
