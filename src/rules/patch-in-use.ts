import { blocksOf, PATCH_LISTS } from "../kuma/container-patch.js";
import { defaultPatchNames, simulateChain } from "../kuma/patch-simulation.js";
import type { ChainEntry, ContainerOutcome } from "../kuma/patch-simulation.js";
import { MAX_PATCH_BLOCKS } from "../limits.js";
import { advisory, error } from "./types.js";
import type { ContainerPatchSubject, PatchUsers, Rule, RuleCodes, RuleContext, RuleFinding } from "./types.js";

// Kuma fetches a pod's patches when it injects the pod, not before: a ContainerPatch that is
// deleted while workloads name it breaks nothing at once, and every pod they create later
// (rollout, scale-up, node drain, a CronJob's next run) fails injection with
// `it appears some expected container patches are missing`. An edit that makes the patch
// fail on the containers Kuma renders for them fails those pods with `could not apply patches`.
// Kuma: pkg/plugins/runtime/k8s/webhooks/injector/injector.go (loadContainerPatches, applyCustomPatches).

/** Workloads named in a message; the count and the command cover the rest. */
const SHOWN = 3;
/** Distinct name lists simulated for an UPDATE; a cluster has a handful. */
const MAX_CHAINS = 50;
/**
 * Blocks an UPDATE's check applies across those lists: a list of real patches needs tens, so
 * 50 lists fit, while a 1,000-block patch named in 50 lists would cost ~0.5 s of event loop.
 */
const MAX_BLOCKS_CHECKED = 2 * MAX_PATCH_BLOCKS;

const CODES = {
  "default-patch": {
    when: "a DELETE of one of the control plane's default patches: every pod Kuma injects afterwards fails",
    params: { name: "the patch" },
  },
  "not-checked": {
    when: "kuma-guard's references index is not synced yet: the DELETE or UPDATE is allowed with this warning (never a deny on missing data)",
    params: { name: "the patch" },
  },
  "in-use": {
    when: "a DELETE of a patch that workloads still name in kuma.io/container-patches: their next pods fail injection",
    params: { name: "the patch", workloads: "how many workloads name it" },
  },
  "breaks-users": {
    when: "an UPDATE after which the patch no longer applies to the containers Kuma renders for workloads that name it",
    params: { name: "the patch", workloads: "how many workloads it breaks" },
  },
  "partly-checked": {
    when: `an UPDATE of a patch named in more lists of patches than one review simulates (${MAX_CHAINS} lists, ${MAX_BLOCKS_CHECKED} blocks in all; the lists naming most workloads first): the workloads of the other lists were not checked (a warning, never a deny)`,
    params: { name: "the patch", workloads: "how many workloads were not checked" },
  },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

export const patchInUse: Rule<ContainerPatchSubject, Code> = {
  id: "patch-in-use",
  summary: "A ContainerPatch that workloads still reference is neither deleted nor changed so that it stops applying for them",
  defaultAction: "deny",
  targets: ["containerpatch"],
  codes: CODES,
  check(subject, ctx) {
    const references = ctx.references;
    if (!references || (references.operation !== "DELETE" && references.operation !== "UPDATE")) return [];
    if (!ctx.settings.controlPlaneNamespaces.includes(subject.meta.namespace)) return []; // Kuma never read it
    const name = subject.meta.name;
    const isDefault = ctx.settings.defaultContainerPatches.some((entry) => entry.trim() === name);
    if (references.operation === "DELETE" && isDefault) {
      return [
        error(
          "default-patch",
          `ContainerPatch ${JSON.stringify(name)} is one of the control plane's default patches (runtime.kubernetes.injector.containerPatches): every pod Kuma injects after it is gone fails. ` +
            `Remove it from the control plane's configuration and from the policy's defaultContainerPatches first, then delete it`,
          undefined,
          { name },
        ),
      ];
    }
    if (!references.synced()) {
      return [
        advisory(
          "not-checked",
          `could not check whether workloads still reference ContainerPatch ${JSON.stringify(name)}: kuma-guard's references index is not synced yet (starting, or the API server cannot be reached)`,
          undefined,
          { name },
        ),
      ];
    }
    const users = references.users(name);
    if (references.operation === "DELETE")
      return users.total === 0 ? [] : [error("in-use", deleteMessage(subject, users), undefined, { name, workloads: users.total })];
    return updateFindings(subject, ctx, users);
  },
};

function deleteMessage(subject: ContainerPatchSubject, users: PatchUsers): string {
  const name = subject.meta.name;
  return (
    `ContainerPatch ${subject.meta.namespace}/${name} is still referenced by ${workloads(users)}: ` +
    `every pod they create after it is gone fails injection ("it appears some expected container patches are missing"). ` +
    `Remove ${JSON.stringify(name)} from their kuma.io/container-patches annotation or delete them first, then delete the patch ` +
    `(deleting both together, e.g. kubectl delete -f dir/ or a GitOps prune: delete the workloads first and retry the patch, or see docs/rules/patch-in-use.md). ` +
    `List them all: ${listCommand(name)}`
  );
}

/**
 * For each distinct chain of names that contains the patch: the catalog's version (what Kuma
 * applies today) against the new spec in its place. Only a chain that applied and now fails is
 * reported: a chain that already failed is patch-apply's finding on the workload.
 */
function updateFindings(subject: ContainerPatchSubject, ctx: RuleContext, users: PatchUsers): RuleFinding<Code>[] {
  const name = subject.meta.name;
  let broken = 0;
  const examples: string[] = [];
  let reason = "";
  let checked = 0;
  let blocks = 0;
  let unchecked = 0;
  for (const chain of [...users.chains].sort((a, b) => b.count - a.count)) {
    const names = [...defaultPatchNames(ctx.settings), ...chain.names];
    const entries = checked < MAX_CHAINS ? entriesOf(names, ctx, name) : [];
    const cost = blocksApplied(entries);
    // The first list is always checked: alone it applies at most 2 × MAX_PATCH_BLOCKS.
    if (checked >= MAX_CHAINS || (checked > 0 && blocks + cost > MAX_BLOCKS_CHECKED)) {
      unchecked += chain.count;
      continue;
    }
    checked++;
    blocks += cost;
    const was = ctx.catalogChain(names).simulation; // what Kuma applies today
    const now = simulateChain(ctx.templates, entries);
    const failure = newFailure(was.sidecar, now.sidecar) ?? newFailure(was.init, now.init);
    if (!failure) continue;
    broken += chain.count;
    if (examples.length < SHOWN) examples.push(chain.example);
    reason ||= failure;
  }
  const findings: RuleFinding<Code>[] = [];
  if (broken > 0) findings.push(breaksUsers(subject, broken, examples, reason));
  if (unchecked > 0) {
    findings.push(
      advisory(
        "partly-checked",
        `kuma-guard checked this change against ${checked} of the ${users.chains.length} lists of patches that name ContainerPatch ${subject.meta.namespace}/${name} ` +
          `(at most ${MAX_CHAINS} lists and ${MAX_BLOCKS_CHECKED} blocks per review, the lists naming most workloads first); ` +
          `${unchecked} workload${unchecked === 1 ? " was" : "s were"} not checked. List them all: ${listCommand(name)}`,
        undefined,
        { name, workloads: unchecked },
      ),
    );
  }
  return findings;
}

/** Blocks simulating `entries` applies: per container, at most MAX_PATCH_BLOCKS. */
function blocksApplied(entries: readonly ChainEntry[]): number {
  let total = 0;
  for (const list of PATCH_LISTS) {
    let count = 0;
    for (const entry of entries) count += blocksOf(entry.reading, list).length;
    total += Math.min(count, MAX_PATCH_BLOCKS);
  }
  return total;
}

function breaksUsers(subject: ContainerPatchSubject, broken: number, examples: readonly string[], reason: string): RuleFinding<Code> {
  const name = subject.meta.name;
  return error(
    "breaks-users",
    `this change makes ContainerPatch ${subject.meta.namespace}/${name} fail for ${broken} workload${broken === 1 ? "" : "s"} that reference it (${examples.join(", ")}${broken > examples.length ? ", …" : ""}): ` +
      `${reason}; their next pods would fail injection ("could not apply patches"). Fix the patch, or move those workloads to a new patch first. List them all: ${listCommand(name)}`,
    undefined,
    { name, workloads: broken },
  );
}

/** The chain's catalog entries in Kuma's order, the reviewed patch's new spec in its place; missing names skipped as Kuma fails on them anyway. */
function entriesOf(names: readonly string[], ctx: RuleContext, reviewed: string): ChainEntry[] {
  const entries: ChainEntry[] = [];
  for (const name of names) {
    const entry = name === reviewed ? { name, reading: ctx.reading } : ctx.catalogPatch(name);
    if (entry) entries.push(entry);
  }
  return entries;
}

function newFailure(before: ContainerOutcome, after: ContainerOutcome): string | undefined {
  if (before.failure || !after.failure) return undefined;
  const f = after.failure;
  return `${f.patch} ${f.list}[${f.blockIndex}] (${f.path}) ${f.message}`;
}

function workloads(users: PatchUsers): string {
  const shown = users.first.slice(0, SHOWN);
  const rest = users.total - shown.length;
  return `${users.total} workload${users.total === 1 ? "" : "s"} (${shown.join(", ")}${rest > 0 ? ` and ${rest} more` : ""})`;
}

/** Lists every object whose pod template (or own metadata, for a Pod) names the patch. */
export function listCommand(name: string): string {
  return (
    `kubectl get deploy,sts,ds,rs,job,cronjob,pod -A -o json | jq -r '.items[] | select(` +
    `[(.spec.jobTemplate.spec.template // .spec.template // .).metadata.annotations["kuma.io/container-patches"] // "" | splits(",") | gsub("\\\\s"; "")] | index(${JSON.stringify(name)})) | "\\(.kind) \\(.metadata.namespace)/\\(.metadata.name)"'`
  );
}
