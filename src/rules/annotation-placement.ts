import { isKumaKey, MESH, metadataPath, SIDECAR_INJECTION } from "../kuma/annotations.js";
import { advisory } from "./types.js";
import type { Rule, RuleCodes, RuleFinding, WorkloadSubject } from "./types.js";

// Kuma's injector and pod controller read only the Pod's own metadata, i.e. a controller's
// pod template; a Deployment's own metadata.annotations are never read.
// Kuma: webhooks/injector/injector.go, controllers/pod_controller.go.
// Keys copied to both places (kustomize commonAnnotations/commonLabels) are fine: only keys
// the template lacks, or holds with another value, are reported.
const PLACED_LABELS = [SIDECAR_INJECTION, MESH] as const;

const CODES = {
  "controller-annotation": {
    when: "a kuma.io annotation sits on a controller's own metadata (not on its pod template, or with another value there), where Kuma never reads it",
    params: { key: "the annotation key", kind: "the controller's kind" },
  },
  "controller-label": {
    when: "the kuma.io/sidecar-injection or kuma.io/mesh label sits on a controller's own metadata only, where Kuma's injector never reads it",
    params: { key: "the label key", kind: "the controller's kind" },
  },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

export const annotationPlacement: Rule<WorkloadSubject, Code> = {
  id: "annotation-placement",
  summary: "Kuma annotations sit on the pod template, not on the controller's own metadata",
  defaultAction: "warn",
  targets: ["workload"],
  codes: CODES,
  check(subject) {
    if (subject.kind === "Pod") return [];
    const findings: RuleFinding<Code>[] = [];
    const target = metadataPath(subject.templatePath, "annotations");
    for (const key of subject.meta.annotationKeys) {
      if (!isKumaKey(key) || subject.template.annotations[key] === subject.meta.annotations[key]) continue;
      findings.push(
        advisory(
          "controller-annotation",
          `${key} on the ${subject.kind}'s own metadata is never read by Kuma; move it to ${target}`,
          `metadata.annotations[${JSON.stringify(key)}]`,
          { key, kind: subject.kind },
        ),
      );
    }
    for (const key of PLACED_LABELS) {
      const value = subject.meta.labels[key];
      if (value === undefined || subject.template.labels[key] === value) continue;
      findings.push(
        advisory(
          "controller-label",
          `label ${key} on the ${subject.kind}'s own metadata is never read by Kuma's injector; set it on ${metadataPath(subject.templatePath, "labels")}`,
          `metadata.labels[${JSON.stringify(key)}]`,
          { key, kind: subject.kind },
        ),
      );
    }
    return findings;
  },
};
