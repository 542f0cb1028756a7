import { annotationPath, CONTAINER_PATCHES } from "../kuma/annotations.js";
import { blockLabel, containerOf } from "../kuma/container-patch.js";
import { fitMessage } from "../kuma/message.js";
import type { PatchBlock } from "../kuma/container-patch.js";
import { toArrayIndex, toLibraryTokens } from "../kuma/json-pointer.js";
import { isInjected } from "../kuma/patch-simulation.js";
import type { ContainerOutcome, PatchFailure, StopPoint } from "../kuma/patch-simulation.js";
import { MAX_PATCH_BLOCKS } from "../limits.js";
import { advisory, error } from "./types.js";
import type { Rule, RuleCodes, RuleFinding, ContainerPatchSubject, WorkloadSubject } from "./types.js";

// Kuma applies every block to the container it renders with evanphx/json-patch v5
// (EnsurePathExistsOnAdd); the first block that does not apply fails the pod's injection:
// "could not apply patches [...]: <library error>". Fields Kuma does not render (Go omitempty,
// e.g. /securityContext/privileged) need add, not replace or remove.
// Kuma: pkg/plugins/runtime/k8s/webhooks/injector/injector.go (applyCustomPatches).

/** Arrays Kuma fills from the pod's annotations and its own settings (injector.go NewSidecarContainer/NewInitContainer). */
const POD_DEPENDENT_ARRAYS: ReadonlySet<string> = new Set(["env", "volumeMounts", "args"]);

const CODES = {
  "pod-injection-fails": {
    when: "on a pod or pod template: a block of the referenced ContainerPatches does not apply to the container Kuma renders for this pod, so injection fails",
    params: { patch: "the ContainerPatch", block: "its block (sidecarPatch[2])", reason: "the patch library's error" },
  },
  "block-fails": {
    when: "on a ContainerPatch: one of its blocks does not apply to the container Kuma renders (e.g. replace or remove of a field Kuma does not render), so injection fails",
    params: { block: "the block (sidecarPatch[2])", reason: "the patch library's error" },
  },
  "not-simulated": {
    when: `the chain holds more blocks than one review may apply (${MAX_PATCH_BLOCKS} per container, and per list of a ContainerPatch), so kuma-guard cannot verify the rest`,
    params: { patch: "the ContainerPatch where simulation stopped", block: "the first block not simulated (sidecarPatch[1000])" },
  },
  "pod-dependent-index": {
    when: "a block indexes env, volumeMounts or args, whose items Kuma renders from the pod's annotations and its settings, so the index may hit another item",
    params: { block: "the block (sidecarPatch[2])", pointer: "the path or from" },
  },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

export const patchApply: Rule<ContainerPatchSubject | WorkloadSubject, Code> = {
  id: "patch-apply",
  summary: "Patches apply to the containers Kuma renders, in Kuma's order",
  defaultAction: "deny",
  targets: ["containerpatch", "workload"],
  codes: CODES,
  check(subject, ctx) {
    if (subject.target === "workload" && isInjected(subject)) return []; // Kuma applied the chain already
    if (!ctx.chainSound) return []; // patch-op/path/value/from already speak
    if (subject.target === "workload") {
      const simulation = ctx.simulation;
      const where = annotationPath(subject.templatePath, CONTAINER_PATCHES);
      const outcomes = [simulation.sidecar, simulation.init];
      return [
        ...outcomes
          .map((outcome) => outcome.failure)
          .filter((failure): failure is PatchFailure => failure !== undefined)
          .map((failure) =>
            error(
              "pod-injection-fails",
              fitMessage(
                `ContainerPatch ${JSON.stringify(failure.patch)} ${failure.list}[${failure.blockIndex}] fails this pod's injection: ${failure.message}${hint(failure, containerOf(failure.list))}`,
              ),
              where,
              { patch: failure.patch, block: `${failure.list}[${failure.blockIndex}]`, reason: failure.message },
            ),
          ),
        ...outcomes.flatMap((outcome) => notSimulated(outcome, () => where)),
      ];
    }
    const findings: RuleFinding<Code>[] = [];
    const simulation = ctx.simulation;
    for (const outcome of [simulation.sidecar, simulation.init]) {
      const failure = outcome.failure;
      if (!failure || failure.patch !== subject.meta.name) continue;
      const block = ctx.reading.blocks.find((b) => b.list === failure.list && b.index === failure.blockIndex);
      const label = block ? blockLabel(block) : `${failure.list}[${failure.blockIndex}]`;
      findings.push(
        error(
          "block-fails",
          fitMessage(`${label} fails injection: ${failure.message}${hint(failure, containerOf(failure.list))}`),
          `spec.${failure.list}[${failure.blockIndex}].path`,
          { block: `${failure.list}[${failure.blockIndex}]`, reason: failure.message },
        ),
      );
    }
    const ownBlock = (stop: StopPoint) => (stop.patch === subject.meta.name ? `spec.${stop.list}[${stop.blockIndex}]` : undefined);
    findings.push(...[simulation.sidecar, simulation.init].flatMap((outcome) => notSimulated(outcome, ownBlock)));
    findings.push(...ctx.reading.blocks.flatMap(podDependentIndex)); // sound: checked above
    return findings;
  },
};

/**
 * E: the chain was cut short by the work limit. Denied rather than warned: what kuma-guard did
 * not simulate it cannot judge (patch-container, patch-privilege), and 1,000 harmless blocks in
 * front must not carry a privileged one through. No real chain comes near the limit.
 */
function notSimulated(outcome: ContainerOutcome, pathOf: (stop: StopPoint) => string | undefined): RuleFinding<Code>[] {
  const stop = outcome.unverified;
  if (!stop || outcome.failure) return [];
  const block = `${stop.list}[${stop.blockIndex}]`;
  return [
    error(
      "not-simulated",
      `kuma-guard simulates at most ${MAX_PATCH_BLOCKS} blocks per container and reads at most ${MAX_PATCH_BLOCKS} per list of a ContainerPatch (a bound on the work of one review); it stopped before ContainerPatch ${JSON.stringify(stop.patch)} ${block}, so it cannot verify the rest. A real chain needs a few blocks: shorten it`,
      pathOf(stop),
      { patch: stop.patch, block },
    ),
  ];
}

/** The fix for the common failures: add for absent fields. */
function hint(failure: PatchFailure, container: string): string {
  if (/^replace operation does not apply/.test(failure.message)) return `. ${container} has no such field: use add`;
  if (/^(remove operation does not apply|error in remove)/.test(failure.message)) return `. ${container} has no such field: drop the block`;
  if (/^(move|copy) operation does not apply: doc is missing from/.test(failure.message) || /^error in (move|copy)/.test(failure.message))
    return `. from names a field ${container} does not have`;
  return "";
}

const POINTER_FIELDS = ["path", "from"] as const;

/** A: the block indexes into an array whose content depends on the pod (append with "-" instead). */
function podDependentIndex(block: PatchBlock): RuleFinding<Code>[] {
  for (const field of POINTER_FIELDS) {
    const pointer = block[field];
    if (typeof pointer !== "string") continue;
    const tokens = toLibraryTokens(pointer);
    if (tokens.length < 2 || !POD_DEPENDENT_ARRAYS.has(tokens[0]!) || toArrayIndex(tokens[1]!) === undefined) continue;
    return [
      advisory(
        "pod-dependent-index",
        fitMessage(
          `${block.list}[${block.index}].${field} ${pointer} indexes ${tokens[0]}, whose items Kuma renders from the pod's annotations and its settings, so index ${tokens[1]} may hit another item${block.op === "add" && field === "path" ? `; append with /${tokens[0]}/- instead` : ""}`,
        ),
        `${block.fieldPath}.${field}`,
        { block: `${block.list}[${block.index}]`, pointer },
      ),
    ];
  }
  return [];
}
