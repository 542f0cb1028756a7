import { annotationPath, isKnownAnnotation, isKumaKey, KNOWN_ANNOTATIONS, metadataPath, REMOVED_ANNOTATIONS } from "../kuma/annotations.js";
import { fitMessage } from "../kuma/message.js";
import { advisory } from "./types.js";
import type { Rule, RuleCodes, RuleFinding, WorkloadSubject } from "./types.js";

const CODES = {
  removed: {
    when: "the key is one Kuma no longer supports and ignores; another key replaces it",
    params: { key: "the annotation key", replacement: "the key to use instead" },
  },
  unknown: {
    when: "Kuma does not read the key (a typo, or a key of another version) and ignores it",
    params: { key: "the annotation key", suggestion: "the known key it is closest to, when one is close enough to be a typo" },
  },
  "more-unknown": {
    when: "more unknown keys than are listed one by one (20): they are counted in one finding",
    params: { count: "how many more" },
  },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

// Kuma silently ignores kuma.io/* and traffic.kuma.io/* keys it does not read, so a typo
// (kuma.io/container-patch) means the setting never applies.
// Kuma: pkg/plugins/runtime/k8s/metadata/annotations.go (the keys it reads).

/**
 * Unknown keys reported one by one; the rest share one finding. 256 KiB of annotations holds
 * ~8,000 short keys: a finding each would flood the warning list the API server returns
 * (and kubectl prints) while the first few already say what is wrong.
 */
export const MAX_UNKNOWN_KEY_FINDINGS = 20;

export const annotationUnknown: Rule<WorkloadSubject, Code> = {
  id: "annotation-unknown",
  summary: "Every kuma.io and traffic.kuma.io annotation key is one Kuma reads",
  defaultAction: "warn",
  targets: ["workload"],
  codes: CODES,
  check(subject) {
    const findings: RuleFinding<Code>[] = [];
    let more = 0;
    for (const key of subject.template.annotationKeys) {
      if (!isKumaKey(key) || isKnownAnnotation(key)) continue;
      if (findings.length >= MAX_UNKNOWN_KEY_FINDINGS) {
        more++;
        continue;
      }
      const path = annotationPath(subject.templatePath, key);
      const replacement = REMOVED_ANNOTATIONS[key];
      if (replacement) {
        findings.push(
          advisory("removed", fitMessage(`${key} is no longer supported and Kuma ignores it; use ${replacement} instead`), path, {
            key,
            replacement,
          }),
        );
        continue;
      }
      const guess = closestKnown(key);
      findings.push(
        advisory(
          "unknown",
          fitMessage(`Kuma does not read the annotation ${key} and ignores it${guess ? `; did you mean ${guess}?` : ""}`),
          path,
          guess ? { key, suggestion: guess } : { key },
        ),
      );
    }
    if (more > 0) {
      findings.push(
        advisory(
          "more-unknown",
          `and ${more} more kuma.io annotation keys Kuma does not read (not listed one by one)`,
          metadataPath(subject.templatePath, "annotations"),
          { count: more },
        ),
      );
    }
    return findings;
  },
};

/** Counts dynamic-programming cells, so tests can bound the work without timing it. */
export interface WorkCounter {
  cells: number;
}

const LONGEST_KNOWN = Math.max(...[...KNOWN_ANNOTATIONS].map((key) => key.length));

/** Edits a typo may differ by: about one per 6 characters, at least 2. */
function typoDistance(key: string): number {
  return Math.max(2, Math.floor(key.length / 6));
}

/**
 * The known key nearest to `key` by edit distance, if close enough to be a typo. Keys whose
 * length alone differs by more than the allowed edits are never compared, and each comparison
 * stops once it cannot get under the allowance: the work per key is bounded by the known keys,
 * however long `key` is.
 */
export function closestKnown(key: string, work?: WorkCounter): string | undefined {
  const allowed = typoDistance(key);
  if (key.length > LONGEST_KNOWN + allowed) return undefined;
  let best: string | undefined;
  let bestDistance = allowed + 1;
  for (const known of KNOWN_ANNOTATIONS) {
    if (Math.abs(known.length - key.length) >= bestDistance) continue;
    const distance = editDistanceWithin(key, known, bestDistance - 1, work);
    if (distance < bestDistance) {
      best = known;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Levenshtein distance (insert, delete, substitute) when it is at most `max`, else max + 1.
 * Only the diagonal band |i - j| <= max can hold such a distance (Ukkonen), and a row whose
 * every cell exceeds `max` ends the comparison.
 */
export function editDistanceWithin(a: string, b: string, max: number, work?: WorkCounter): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const over = max + 1;
  let previous: number[] = Array.from({ length: b.length + 1 }, (_, j) => (j <= max ? j : over));
  for (let i = 1; i <= a.length; i++) {
    const from = Math.max(1, i - max);
    const to = Math.min(b.length, i + max);
    const current: number[] = new Array<number>(b.length + 1).fill(over);
    current[0] = i <= max ? i : over;
    let rowMin = current[0];
    for (let j = from; j <= to; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const cell = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost, over);
      current[j] = cell;
      if (cell < rowMin) rowMin = cell;
    }
    if (work) work.cells += to - from + 1;
    if (rowMin > max) return over;
    previous = current;
  }
  return Math.min(previous[b.length] as number, over);
}
