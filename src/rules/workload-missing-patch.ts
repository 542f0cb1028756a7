import { annotationPath, CONTAINER_PATCHES } from "../kuma/annotations.js";
import { fitMessage, MAX_MESSAGE } from "../kuma/message.js";
import { isVerified } from "../kuma/model.js";
import { MAX_PATCH_NAMES } from "../limits.js";
import { defaultPatchNames, isInjected } from "../kuma/patch-simulation.js";
import { advisory, error } from "./types.js";
import type { Rule, RuleCodes, RuleFinding, WorkloadSubject } from "./types.js";

const CODES = {
  "not-verified": {
    when: "no ContainerPatch catalog is configured (--patches or --kube), so the referenced names cannot be checked",
    params: { names: "the referenced names, as Go prints them (as many as the message shows)" },
  },
  missing: {
    when: "a referenced ContainerPatch (from kuma.io/container-patches or the control plane's default patches) is not in a control-plane namespace: injection fails",
    params: { names: "the missing names, as Go prints them (as many as the message shows)", count: "how many are missing" },
  },
  unverified: {
    when: "with --kube, a name the watch has not delivered and the live lookup did not confirm missing (over the per-request lookup cap, or the API server did not answer): a warning, never a denial",
    params: { names: "the names, as Go prints them (as many as the message shows)", count: "how many" },
  },
  "too-many-names": {
    when: `kuma.io/container-patches lists more than ${MAX_PATCH_NAMES} names: kuma-guard reads that many (a bound on the work of one review), so it cannot check that the rest exist`,
  },
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
    // referencedNames lists the default patches first, then the annotation's: the names are
    // split once per review, and at most MAX_PATCH_NAMES of them.
    const defaultCount = defaultPatchNames(ctx.settings).length;
    const path = names.length > defaultCount ? annotationPath(subject.templatePath, CONTAINER_PATCHES) : undefined;
    // Denied, as patch-apply/not-simulated: a missing name must not hide behind 1,000 good ones.
    const findings: RuleFinding<Code>[] = ctx.hasUnreadNames
      ? [
          error(
            "too-many-names",
            `kuma.io/container-patches lists more than ${MAX_PATCH_NAMES} names; kuma-guard reads the first ${MAX_PATCH_NAMES} (a bound on the work of one review) and cannot check that the rest exist. A workload needs a few ContainerPatches: shorten the list`,
            path,
          ),
        ]
      : [];
    if (!ctx.catalog.configured) {
      const shown = goQuotedWithin([...new Set(names)], MAX_MESSAGE);
      return [
        ...findings,
        advisory(
          "not-verified",
          fitMessage(`not verified: no ContainerPatch catalog (--patches or --kube); cannot check ${shown} exist`),
          path,
          { names: shown },
        ),
      ];
    }
    // One pass: each distinct name looked up once, sorted into missing (known) and unverified.
    const seen = new Set<string>();
    const missing: string[] = [];
    const unverified: string[] = [];
    let missingDefaults: string[] | undefined;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if (seen.has(name)) continue;
      seen.add(name);
      if (ctx.catalog.get(name) !== undefined) continue;
      if (!isVerified(ctx.catalog, name)) unverified.push(name);
      else {
        missing.push(name);
        if (i < defaultCount) (missingDefaults ??= []).push(name);
      }
    }
    if (missing.length > 0) {
      const namespaces = ctx.settings.controlPlaneNamespaces.join(" or ") || "the control-plane namespace";
      // A missing default patch the annotation names too is the annotation's as much: not worth the remark.
      const fromDefaultsOnly = missingDefaults?.some((name) => names.indexOf(name, defaultCount) === -1) ?? false;
      const defaults = fromDefaultsOnly ? " (some come from the control plane's default patches)" : "";
      const tail = `${defaults}; Kuma reads ContainerPatches only from ${namespaces}: create them there or fix the names`;
      const head = "it appears some expected container patches are missing: ";
      const shown = goQuotedWithin(missing, MAX_MESSAGE - head.length - tail.length);
      findings.push(error("missing", fitMessage(head + shown + tail), path, { names: shown, count: missing.length }));
    }
    if (unverified.length > 0) {
      // Over the live-lookup cap or the API server did not answer: never deny on missing data.
      const head = "not verified: the Kubernetes API was not asked about or did not answer for ";
      const tail = "; they may not exist";
      const shown = goQuotedWithin(unverified, MAX_MESSAGE - head.length - tail.length);
      findings.push(advisory("unverified", fitMessage(head + shown + tail), path, { names: shown, count: unverified.length }));
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
