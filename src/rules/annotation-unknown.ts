import { annotationPath, isKnownAnnotation, isKumaKey, KNOWN_ANNOTATIONS, REMOVED_ANNOTATIONS } from "../kuma/annotations.js";
import { advisory } from "./types.js";
import type { Rule, RuleCodes, RuleFinding, WorkloadSubject } from "./types.js";

const CODES = {
  removed: { when: "the key is one Kuma no longer supports and ignores; another key replaces it", params: { key: "the annotation key", replacement: "the key to use instead" } },
  unknown: { when: "Kuma does not read the key (a typo, or a key of another version) and ignores it", params: { key: "the annotation key", suggestion: "the known key it is closest to, when one is close enough to be a typo" } },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

// Kuma silently ignores kuma.io/* and traffic.kuma.io/* keys it does not read, so a typo
// (kuma.io/container-patch) means the setting never applies.
// Kuma: pkg/plugins/runtime/k8s/metadata/annotations.go (the keys it reads).
export const annotationUnknown: Rule<WorkloadSubject, Code> = {
  id: "annotation-unknown",
  summary: "Every kuma.io and traffic.kuma.io annotation key is one Kuma reads",
  defaultAction: "warn",
  targets: ["workload"],
  codes: CODES,
  check(subject) {
    const findings: RuleFinding<Code>[] = [];
    for (const key of Object.keys(subject.template.annotations)) {
      if (!isKumaKey(key) || isKnownAnnotation(key)) continue;
      const path = annotationPath(subject.templatePath, key);
      const replacement = REMOVED_ANNOTATIONS[key];
      if (replacement) {
        findings.push(advisory("removed", `${key} is no longer supported and Kuma ignores it; use ${replacement} instead`, path, { key, replacement }));
        continue;
      }
      const guess = closestKnown(key);
      findings.push(advisory("unknown", `Kuma does not read the annotation ${key} and ignores it${guess ? `; did you mean ${guess}?` : ""}`, path, guess ? { key, suggestion: guess } : { key }));
    }
    return findings;
  },
};

/** The known key nearest to `key` by edit distance, if close enough to be a typo. */
export function closestKnown(key: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const known of KNOWN_ANNOTATIONS) {
    const distance = editDistance(key, known);
    if (distance < bestDistance) {
      best = known;
      bestDistance = distance;
    }
  }
  // A typo changes a few characters; allow about one edit per 6 characters, at least 2.
  return bestDistance <= Math.max(2, Math.floor(key.length / 6)) ? best : undefined;
}

/** Levenshtein distance (insert, delete, substitute). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
    }
    previous = current;
  }
  return previous[b.length] as number;
}
