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

const QUOTE = 0x22; // "
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b; // {
const CLOSE_BRACE = 0x7d;

/**
 * The index in JSON `text` of the first bracket that opens a level deeper than `max` (the root
 * is level 0), or undefined. Run on request bodies before JSON.parse, which spends ~40 ms on
 * 200 KB nested 100,000 deep and ~2 s on 7 MiB (a flat 1 MiB body: ~1 ms). One pass outside
 * strings; a string without a backslash is skipped with indexOf, so the scan costs ~0.1 ms on
 * the 1 MiB Deployment of the benchmark and at most about half of JSON.parse's time on any
 * body. Malformed text is left for JSON.parse to report.
 */
export function jsonDeeperThan(text: string, max: number = MAX_NESTING_DEPTH): number | undefined {
  let open = 0;
  let backslash = -2; // the next backslash at or after the current string; -1: none left
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      if (backslash !== -1 && backslash <= i) backslash = text.indexOf("\\", i);
      const end = text.indexOf('"', i + 1);
      if (end === -1) return undefined;
      if (backslash === -1 || backslash > end) {
        i = end;
        continue;
      }
      // Escapes inside: walk this string character by character.
      for (i++; i < text.length && text.charCodeAt(i) !== QUOTE; i++) if (text.charCodeAt(i) === BACKSLASH) i++;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++open > max) return i;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) open--;
  }
  return undefined;
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
