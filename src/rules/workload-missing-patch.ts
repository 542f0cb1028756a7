import { annotationPath, CONTAINER_PATCHES } from "../kuma/annotations.js";
import { fitMessage, MAX_MESSAGE } from "../kuma/message.js";
import { annotationPatchNames, isInjected } from "../kuma/patch-simulation.js";
import { advisory, error } from "./types.js";
import type { Rule, RuleCodes, WorkloadSubject } from "./types.js";

const CODES = {
  "not-verified": { when: "no ContainerPatch catalog is configured (--patches or --kube), so the referenced names cannot be checked", params: { names: "the referenced names, as Go prints them" } },
  missing: { when: "a referenced ContainerPatch (from kuma.io/container-patches or the control plane's default patches) is not in a control-plane namespace: injection fails", params: { names: "the missing names, as Go prints them", count: "how many are missing" } },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

// Kuma fetches every default patch and every name in kuma.io/container-patches from its
// own namespace only; any missing name fails the pod's injection with
// `it appears some expected container patches are missing: ["a" "b"]` (Go %q of the slice).
// Names are looked up trimmed here: the padding is workload-patch-list's finding.
// Kuma: pkg/plugins/runtime/k8s/webhooks/injector/injector.go (loadContainerPatches).
export const workloadMissingPatch: Rule<WorkloadSubject, Code> = {
  id: "workload-missing-patch",
  summary: "Every ContainerPatch a workload references exists in the control-plane namespace",
  defaultAction: "deny",
  targets: ["workload"],
  codes: CODES,
  check(subject, ctx) {
    if (isInjected(subject)) return []; // Kuma found every name when it injected this pod
    const names = ctx.referencedNames;
    if (names.length === 0) return [];
    const fromAnnotation = new Set(annotationPatchNames(subject.template.annotations));
    const path = fromAnnotation.size > 0 ? annotationPath(subject.templatePath, CONTAINER_PATCHES) : undefined;
    if (!ctx.catalog.configured) {
      return [advisory("not-verified", fitMessage(`not verified: no ContainerPatch catalog (--patches or --kube); cannot check ${goQuoted(unique(names))} exist`), path, { names: goQuoted(unique(names)) })];
    }
    const missing = unique(names.filter((name) => ctx.catalog.get(name) === undefined));
    if (missing.length === 0) return [];
    const namespaces = ctx.settings.controlPlaneNamespaces.join(" or ") || "the control-plane namespace";
    const defaults = missing.some((name) => !fromAnnotation.has(name)) ? " (some come from the control plane's default patches)" : "";
    const tail = `${defaults}; Kuma reads ContainerPatches only from ${namespaces}: create them there or fix the names`;
    const head = "it appears some expected container patches are missing: ";
    return [error("missing", fitMessage(head + goQuotedWithin(missing, MAX_MESSAGE - head.length - tail.length) + tail), path, { names: goQuoted(missing), count: missing.length })];
  },
};

/** Go's %q of the names, as many as fit in `room` characters; the rest counted. */
function goQuotedWithin(names: readonly string[], room: number): string {
  const full = goQuoted(names);
  if (full.length <= room) return full;
  for (let count = names.length - 1; count >= 1; count--) {
    const shown = `${goQuoted(names.slice(0, count)).slice(0, -1)} ...] (+${names.length - count} more)`;
    if (shown.length <= room) return shown;
  }
  return `[${names.length} names]`;
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}

/** Go's %q of a []string: ["a" "b"]. */
function goQuoted(names: readonly string[]): string {
  return `[${names.map((name) => JSON.stringify(name)).join(" ")}]`;
}
