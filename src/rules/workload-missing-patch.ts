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
      return [advisory(fitMessage(`not verified: no ContainerPatch catalog (--patches or --kube); cannot check ${goQuotedWithin([...new Set(names)], MAX_MESSAGE)} exist`), path)];
    }
    // One pass: each distinct name looked up once, sorted into missing (known) and unverified.
    const seen = new Set<string>();
    const missing: string[] = [];
    const unverified: string[] = [];
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      if (ctx.catalog.get(name) !== undefined) continue;
      (isVerified(ctx.catalog, name) ? missing : unverified).push(name);
    }
    if (missing.length === 0 && unverified.length === 0) return [];
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
 * Go's %q of the names, as many as fit in `room` characters; the rest counted. Names are
 * quoted only until the room is used up: the work is bounded by the message, not the list.
 */
export function goQuotedWithin(names: readonly string[], room: number): string {
  const quoted: string[] = [];
  let length = 1; // "["
  for (const name of names) {
    const q = JSON.stringify(name);
    length += (quoted.length > 0 ? 1 : 0) + q.length;
    if (length > room) break;
    quoted.push(q);
  }
  if (quoted.length === names.length && length + 1 <= room) return `[${quoted.join(" ")}]`;
  // "[" + the first `count` quoted names + " ...] (+K more)": the longest prefix that fits.
  let count = Math.min(quoted.length, names.length - 1);
  let shown = quoted.slice(0, count).join(" ").length + 1;
  while (count >= 1 && shown + ` ...] (+${names.length - count} more)`.length > room) {
    shown -= (quoted[count - 1] as string).length + (count > 1 ? 1 : 0);
    count--;
  }
  if (count === 0) return `[${names.length} names]`;
  return `[${quoted.slice(0, count).join(" ")} ...] (+${names.length - count} more)`;
}
