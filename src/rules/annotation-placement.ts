import { isKumaKey, MESH, metadataPath, SIDECAR_INJECTION } from "../kuma/annotations.js";
import { advisory } from "./types.js";
import type { Rule, RuleFinding, WorkloadSubject } from "./types.js";

// Kuma's injector and pod controller read only the Pod's own metadata, i.e. a controller's
// pod template; a Deployment's own metadata.annotations are never read.
// Kuma: webhooks/injector/injector.go, controllers/pod_controller.go.
// Keys copied to both places (kustomize commonAnnotations/commonLabels) are fine: only keys
// the template lacks, or holds with another value, are reported.
const PLACED_LABELS = [SIDECAR_INJECTION, MESH] as const;

export const annotationPlacement: Rule<WorkloadSubject> = {
  id: "annotation-placement",
  summary: "Kuma annotations sit on the pod template, not on the controller's own metadata",
  defaultAction: "warn",
  targets: ["workload"],
  check(subject) {
    if (subject.kind === "Pod") return [];
    const findings: RuleFinding[] = [];
    const target = metadataPath(subject.templatePath, "annotations");
    for (const [key, value] of Object.entries(subject.meta.annotations)) {
      if (!isKumaKey(key) || subject.template.annotations[key] === value) continue;
      findings.push(
        advisory(`${key} on the ${subject.kind}'s own metadata is never read by Kuma; move it to ${target}`, `metadata.annotations[${JSON.stringify(key)}]`),
      );
    }
    for (const key of PLACED_LABELS) {
      const value = subject.meta.labels[key];
      if (value === undefined || subject.template.labels[key] === value) continue;
      findings.push(
        advisory(`label ${key} on the ${subject.kind}'s own metadata is never read by Kuma's injector; set it on ${metadataPath(subject.templatePath, "labels")}`, `metadata.labels[${JSON.stringify(key)}]`),
      );
    }
    return findings;
  },
};
