import { annotationPath, CONTAINER_PATCHES, messageWithFixOrRemoval, quote } from "../kuma/annotations.js";
import { hasEmptyItems, parseList, toTrimmedList } from "../kuma/parsers/list.js";
import { advisory, error } from "./types.js";
import type { Rule, RuleCodes, RuleFinding, WorkloadSubject } from "./types.js";

const WHITESPACE = /\s/;

const CODES = {
  "padded-name": {
    when: "a name has spaces around it: Kuma does not trim, so it looks up the padded name and injection fails",
    params: { name: "the first padded name, as Kuma looks it up", fix: 'the list trimmed ("" when nothing is left)' },
  },
  "empty-items": {
    when: "the list has empty items, which Kuma drops",
    params: { value: "the annotation's value", fix: "the list without them" },
  },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

// Kuma reads kuma.io/container-patches with GetList: split on ",", exactly-empty items
// dropped, no trimming, so "p1, p2" looks up " p2" and injection fails with
// "it appears some expected container patches are missing".
// Kuma: pkg/plugins/runtime/k8s/webhooks/injector/injector.go::loadContainerPatches.
export const workloadPatchList: Rule<WorkloadSubject, Code> = {
  id: "workload-patch-list",
  summary: "kuma.io/container-patches is a comma list of exact names, without padding",
  defaultAction: "deny",
  targets: ["workload"],
  codes: CODES,
  check(subject) {
    const value = subject.template.annotations[CONTAINER_PATCHES];
    if (value === undefined) return [];
    // Without whitespace no name is padded: only then is the list split, to find the first one.
    const list = WHITESPACE.test(value) ? parseList(value) : undefined;
    if (list !== undefined && "error" in list) return [];
    const firstPadded = list?.value.firstPadded;
    if (firstPadded === undefined && !hasEmptyItems(value)) return [];
    const path = annotationPath(subject.templatePath, CONTAINER_PATCHES);
    const fixed = toTrimmedList(value);
    const withFix = (message: string) => messageWithFixOrRemoval(message, fixed, "write the names trimmed, without empty items");
    const findings: RuleFinding<Code>[] = [];
    if (firstPadded !== undefined) {
      const name = firstPadded.text;
      findings.push(
        error(
          "padded-name",
          withFix(`${CONTAINER_PATCHES} ${quote(value)}: Kuma does not trim names, so it looks up ${quote(name)} and injection fails; `),
          path,
          { name, fix: fixed },
        ),
      );
    } else {
      findings.push(
        advisory("empty-items", withFix(`${CONTAINER_PATCHES} ${quote(value)} has empty items, which Kuma drops; `), path, {
          value,
          fix: fixed,
        }),
      );
    }
    return findings;
  },
};
