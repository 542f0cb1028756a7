import { annotationPath, CONTAINER_PATCHES } from "../kuma/annotations.js";
import { fitMessage, MAX_MESSAGE } from "../kuma/container-patch.js";
import { annotationPatchNames, isInjected, referencedPatchNames } from "../kuma/patch-simulation.js";
import { advisory, error } from "./types.js";
import type { Rule, RuleFinding, WorkloadSubject } from "./types.js";
import { isVerified } from "../catalog/types.js";

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
    if (isInjected(subject)) return []; // Kuma found every name when it injected this pod
    const names = referencedPatchNames(subject, ctx);
    if (names.length === 0) return [];
    const fromAnnotation = new Set(annotationPatchNames(subject.template.annotations));
    const path = fromAnnotation.size > 0 ? annotationPath(subject.templatePath, CONTAINER_PATCHES) : undefined;
    if (!ctx.catalog.configured) {
      return [advisory(fitMessage(`not verified: no ContainerPatch catalog (--patches or --kube); cannot check ${goQuotedWithin(unique(names), MAX_MESSAGE)} exist`), path)];
    }
    const absent = unique(names.filter((name) => ctx.catalog.get(name) === undefined));
    if (absent.length === 0) return [];
    const missing = absent.filter((name) => isVerified(ctx.catalog, name));
    const unverified = absent.filter((name) => !isVerified(ctx.catalog, name));
    const findings: RuleFinding[] = [];
    if (missing.length > 0) {
      const namespaces = ctx.settings.controlPlaneNamespaces.join(" or ") || "the control-plane namespace";
      const defaults = missing.some((name) => !fromAnnotation.has(name)) ? " (some come from the control plane's default patches)" : "";
      const tail = `${defaults}; Kuma reads ContainerPatches only from ${namespaces}: create them there or fix the names`;
      const head = "it appears some expected container patches are missing: ";
      findings.push(error(fitMessage(head + goQuotedWithin(missing, MAX_MESSAGE - head.length - tail.length) + tail), path));
    }
    if (unverified.length > 0) {
      // Over the live-lookup cap or the API server did not answer: never deny on missing data.
      const head = "not verified: the Kubernetes API was not asked about or did not answer for ";
      const tail = "; they may not exist";
      findings.push(advisory(fitMessage(head + goQuotedWithin(unverified, MAX_MESSAGE - head.length - tail.length) + tail), path));
    }
    return findings;
  },
};

/**
 * Go's %q of the names, as many as fit in `room` characters; the rest counted. Each name is
 * quoted once and the longest prefix that fits found in one pass: linear in the names.
 */
export function goQuotedWithin(names: readonly string[], room: number): string {
  const quoted = names.map((name) => JSON.stringify(name));
  const full = quoted.reduce((length, q) => length + q.length, 1 + Math.max(0, quoted.length - 1) + 1); // [ + spaces + ]
  if (full <= room) return `[${quoted.join(" ")}]`;
  // "[" + the first `count` quoted names joined by " " + " ...] (+K more)"
  let best = 0;
  let length = 1;
  for (let count = 1; count < quoted.length; count++) {
    length += (count > 1 ? 1 : 0) + (quoted[count - 1] as string).length;
    if (length + ` ...] (+${names.length - count} more)`.length > room) break;
    best = count;
  }
  if (best === 0) return `[${names.length} names]`;
  return `[${quoted.slice(0, best).join(" ")} ...] (+${names.length - best} more)`;
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}
