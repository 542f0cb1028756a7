/** Distinct values kept per parser: a cluster's annotations repeat a few dozen values. */
const CAPACITY = 512;
/** Longer values are parsed every time, so 512 entries stay small (≤ 512 KiB of text per parser). */
const MAX_TEXT = 1024;

/**
 * Annotation values repeat across admission requests (every pod of a Deployment carries its
 * template's, GitOps tools re-apply the same manifests), so a parser's results are kept by
 * the text they came from. The parser must be pure; its results are shared between requests
 * and must be treated as read-only. Bounded: the cache starts over once full.
 */
export function memoizeByText<T>(parse: (text: string) => T): (text: string) => T {
  const results = new Map<string, T>();
  return (text) => {
    if (text.length > MAX_TEXT) return parse(text);
    const cached = results.get(text);
    if (cached !== undefined || results.has(text)) return cached as T;
    const result = parse(text);
    if (results.size >= CAPACITY) results.clear();
    results.set(text, result);
    return result;
  };
}

/**
 * What several rules compute about the same short-lived objects during one review (a
 * subject's patch chain and simulation, the blocks of the ContainerPatch under review),
 * computed once and dropped with the review's context. A module-level WeakMap keyed by such
 * objects looks equivalent, but V8 then promotes them to the old generation, even when they
 * are only looked up: 2.3 KB per ContainerPatch review, a mark-compact every half second at
 * saturation (docs/performance.md). One memo per review: never share it between contexts.
 */
export class ReviewMemo {
  private readonly slots = new Map<string, Map<unknown, unknown>>();

  /** The value of `slot` for `key`, computed on first use in this review. */
  get<V>(slot: string, key: unknown, compute: () => V): V {
    let values = this.slots.get(slot);
    if (!values) {
      values = new Map();
      this.slots.set(slot, values);
    }
    const known = values.get(key);
    if (known !== undefined || values.has(key)) return known as V;
    const value = compute();
    values.set(key, value);
    return value;
  }
}
