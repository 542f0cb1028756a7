import { annotationPath, CONTAINER_PATCHES, quote } from "../kuma/annotations.js";
import { parseList, toTrimmedList } from "../kuma/parsers/list.js";
import { advisory, error } from "./types.js";
import type { Rule, RuleFinding, WorkloadSubject } from "./types.js";

// Kuma reads kuma.io/container-patches with GetList: split on ",", exactly-empty items
// dropped, no trimming, so "p1, p2" looks up " p2" and injection fails with
// "it appears some expected container patches are missing".
// Kuma: pkg/plugins/runtime/k8s/webhooks/injector/injector.go::loadContainerPatches.
export const workloadPatchList: Rule<WorkloadSubject> = {
  id: "workload-patch-list",
  summary: "kuma.io/container-patches is a comma list of exact names, without padding",
  defaultAction: "deny",
  targets: ["workload"],
  check(subject) {
    const value = subject.template.annotations[CONTAINER_PATCHES];
    if (value === undefined) return [];
    const list = parseList(value);
    if ("error" in list) return [];
    const path = annotationPath(subject.templatePath, CONTAINER_PATCHES);
    const fixed = toTrimmedList(value);
    const findings: RuleFinding[] = [];
    if (list.value.padded.length > 0) {
      const name = list.value.padded[0]?.text ?? "";
      findings.push(
        error(
          `${CONTAINER_PATCHES} ${quote(value)}: Kuma does not trim names, so it looks up ${quote(name)} and injection fails; ` +
            (fixed ? `write ${JSON.stringify(fixed)}` : "remove the annotation"),
          path,
        ),
      );
    }
    if (list.value.dropped > 0 && list.value.padded.length === 0) {
      findings.push(
        advisory(
          `${CONTAINER_PATCHES} ${quote(value)} has empty items, which Kuma drops; ` +
            (fixed ? `write ${JSON.stringify(fixed)}` : "remove the annotation"),
          path,
        ),
      );
    }
    return findings;
  },
};
