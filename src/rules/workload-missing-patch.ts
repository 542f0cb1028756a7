import { annotationPath, CONTAINER_PATCHES } from "../kuma/annotations.js";
import { annotationPatchNames, referencedPatchNames } from "../kuma/patch-simulation.js";
import { advisory, error } from "./types.js";
import type { Rule, WorkloadSubject } from "./types.js";

// Kuma fetches every default patch and every name in kuma.io/container-patches from its
// own namespace only; any missing name fails the pod's injection with
// `it appears some expected container patches are missing: ["a" "b"]` (Go %q of the slice).
// Names are looked up trimmed here: the padding is workload-patch-list's finding.
// Kuma: pkg/plugins/runtime/k8s/webhooks/injector/injector.go (loadContainerPatches).
export const workloadMissingPatch: Rule<WorkloadSubject> = {
  id: "workload-missing-patch",
  summary: "Every ContainerPatch a workload references exists in the control-plane namespace",
  defaultAction: "deny",
  targets: ["workload"],
  check(subject, ctx) {
    const names = referencedPatchNames(subject, ctx);
    if (names.length === 0) return [];
    const fromAnnotation = new Set(annotationPatchNames(subject.template.annotations));
    const path = fromAnnotation.size > 0 ? annotationPath(subject.templatePath, CONTAINER_PATCHES) : undefined;
    if (!ctx.catalog.configured) {
      return [advisory(`not verified: no ContainerPatch catalog (--patches or --kube); cannot check ${goQuoted(unique(names))} exist`, path)];
    }
    const missing = unique(names.filter((name) => ctx.catalog.get(name) === undefined));
    if (missing.length === 0) return [];
    const namespaces = ctx.settings.controlPlaneNamespaces.join(" or ") || "the control-plane namespace";
    const defaults = missing.some((name) => !fromAnnotation.has(name)) ? " (some come from the control plane's default patches)" : "";
    return [
      error(
        `it appears some expected container patches are missing: ${goQuoted(missing)}${defaults}; Kuma reads ContainerPatches only from ${namespaces}: create them there or fix the names`,
        path,
      ),
    ];
  },
};

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}

/** Go's %q of a []string: ["a" "b"]. */
function goQuoted(names: readonly string[]): string {
  return `[${names.map((name) => JSON.stringify(name)).join(" ")}]`;
}
