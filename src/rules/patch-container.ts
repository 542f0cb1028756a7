import { annotationPath, CONTAINER_PATCHES } from "../kuma/annotations.js";
import { containerOf, fitMessage } from "../kuma/container-patch.js";
import type { PatchList } from "../kuma/container-patch.js";
import { validateContainer } from "../kuma/container-validation.js";
import type { ContainerProblem } from "../kuma/container-validation.js";
import { blockWriting, chainBlocks, chainOf, effectsOf } from "../kuma/patch-simulation.js";
import type { ChainBlock, ContainerOutcome } from "../kuma/patch-simulation.js";
import { error } from "./types.js";
import type { FindingParams, JsonObject, Rule, RuleCodes, RuleContext, RuleFinding, ContainerPatchSubject, WorkloadSubject } from "./types.js";

const CODES = {
  "invalid-container": { when: "the patched kuma-sidecar or kuma-init is not a valid Kubernetes Container (a string where a boolean belongs, privileged next to allowPrivilegeEscalation: false, …): injection fails or the API server rejects the pod", params: { container: "kuma-sidecar or kuma-init", problem: "what Kubernetes' validation says", patch: "on a pod: the ContainerPatch whose block makes it invalid, when one does", block: "the block that makes it invalid (sidecarPatch[2]), when one does" } },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

// Kuma unmarshals the patched JSON into corev1.Container (a string where a boolean belongs
// fails injection) and the API server then validates the pod: privileged: true next to the
// sidecar's allowPrivilegeEscalation: false (set since Kuma 2.13) is rejected.
// Kuma: pkg/plugins/runtime/k8s/webhooks/injector/injector.go (applyCustomPatches);
// Kubernetes: pkg/apis/core/validation/validation.go (ValidateSecurityContext and friends).
export const patchContainer: Rule<ContainerPatchSubject | WorkloadSubject, Code> = {
  id: "patch-container",
  summary: "The patched kuma-sidecar and kuma-init are still valid Kubernetes Containers",
  defaultAction: "deny",
  targets: ["containerpatch", "workload"],
  codes: CODES,
  check(subject, ctx) {
    const findings: RuleFinding<Code>[] = [];
    for (const { list, after: outcome, before } of effectsOf(subject, ctx)) {
      if (outcome.failure) continue; // patch-apply's finding
      const problems = addedProblems(outcome.container, before.container);
      if (problems.length === 0) continue;
      findings.push(...problems.map((problem) => toFinding(subject, ctx, list, problem, outcome)));
    }
    return findings;
  },
};

const added = new WeakMap<JsonObject, WeakMap<JsonObject, readonly ContainerProblem[]>>();

/**
 * The problems `after` has and `before` lacks. Both are simulation outputs, which the chain
 * cache shares across requests, so the answer is kept per pair.
 */
function addedProblems(after: JsonObject, before: JsonObject): readonly ContainerProblem[] {
  let byBefore = added.get(after);
  if (!byBefore) {
    byBefore = new WeakMap();
    added.set(after, byBefore);
  }
  let problems = byBefore.get(before);
  if (!problems) {
    const known = new Set(validateContainer(before).map((problem) => problem.message));
    problems = validateContainer(after).filter((problem) => !known.has(problem.message));
    byBefore.set(before, problems);
  }
  return problems;
}

function toFinding(subject: ContainerPatchSubject | WorkloadSubject, ctx: RuleContext, list: PatchList, problem: ContainerProblem, outcome: ContainerOutcome): RuleFinding<Code> {
  const container = containerOf(list);
  const explained = problem.message + typeHint(problem, outcome);
  if (subject.target === "workload") {
    const writer = blockWriting(chainBlocks(chainOf(subject, ctx), list), problem.pointer);
    const by = writer ? `ContainerPatch ${JSON.stringify(writer.patch)} ${list}[${writer.block.index}]` : "the container patches";
    const params: FindingParams = writer ? { container, problem: problem.message, patch: writer.patch, block: `${list}[${writer.block.index}]` } : { container, problem: problem.message };
    return error("invalid-container", fitMessage(`${by} makes ${container} invalid: ${explained}`), annotationPath(subject.templatePath, CONTAINER_PATCHES), params);
  }
  const own = chainBlocks([{ name: subject.meta.name, spec: subject.spec }], list, ctx.memo);
  const writer: ChainBlock | undefined = blockWriting(own, problem.pointer);
  if (!writer) return error("invalid-container", fitMessage(`${list} makes ${container} invalid: ${explained}`), `spec.${list}`, { container, problem: problem.message });
  return error("invalid-container", fitMessage(`${list}[${writer.block.index}] makes ${container} invalid: ${explained}`), `${writer.block.fieldPath}.value`, { container, problem: problem.message, block: `${list}[${writer.block.index}]` });
}

/** '"true"' where a boolean belongs: the value is a JSON string, drop the inner quotes. */
function typeHint(problem: ContainerProblem, outcome: ContainerOutcome): string {
  const match = /must be (boolean|integer|number)/.exec(problem.message);
  if (!match) return "";
  let value: unknown = outcome.container;
  for (const token of problem.pointer.split("/").slice(1)) value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[token] : undefined;
  if (typeof value !== "string") return "";
  try {
    const inner: unknown = JSON.parse(value);
    if (typeof inner === "boolean" || typeof inner === "number") return `; write value: "${value}" (JSON ${value}), not '"${value}"'`;
  } catch {
    // not a quoted scalar: no hint
  }
  return "";
}
