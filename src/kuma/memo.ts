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
