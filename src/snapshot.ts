// Everything derived from the catalog and the policy, computed once per state of the two
// and dropped when either changes. The only module that caches: rules and kuma/ compute,
// this module remembers. Nothing in it is derived from a request, so no request's text or
// key order can reach another request's answer.

import { readCatalogPatch, simulateCatalogChain } from "./kuma/analysis.js";
import type { CatalogPatch, ReviewInputs, SimulatedChain } from "./kuma/analysis.js";
import { resolveKumaEnvironment } from "./kuma/environment.js";
import type { ControlPlaneFacts, KumaEnvironment } from "./kuma/environment.js";
import type { CatalogView, ContainerTemplates, JsonObject, KumaSettings, Labels } from "./kuma/model.js";
import { DEFAULT_KUMA_VERSION } from "./kuma/versions/index.js";
import type { KumaModel } from "./kuma/versions/index.js";
import { KUMA_2_14 } from "./kuma/versions/v2-14.js";
import { deepFreeze, mergePatch } from "./policy/merge-patch.js";
import type { CatalogSource } from "./catalog/types.js";
import type { Policy } from "./policy/types.js";

/** The policy and catalog in force, with what is derived from them. Immutable to its users. */
export interface Snapshot extends ReviewInputs {
  readonly policy: Policy;
  /** The Kuma judged against, and where its version and settings came from. */
  readonly environment: KumaEnvironment;
}

/**
 * Distinct name lists whose chains a snapshot keeps. A cluster's workloads reference a
 * handful of patch lists; a request naming new lists over and over only evicts, oldest first.
 */
const CHAIN_CACHE_SIZE = 256;

/** Longest name list (joined) whose chain is kept: real workloads name a handful of patches, and 256 keys of 1 KiB stay small. */
const MAX_CACHED_CHAIN_KEY = 1024;

/** Labels of the namespaces known (from the cluster, or from `check`'s input); undefined for an unknown one. */
export type NamespaceLabels = (namespace: string) => Labels | undefined;

const noNamespaces: NamespaceLabels = () => undefined;

/** A snapshot of `policy` over `catalog`, judging against the Kuma of `facts` (2.14 with the Helm chart's defaults when nothing is known). */
export function createSnapshot(
  policy: Policy,
  catalog: CatalogView,
  namespaceLabels: NamespaceLabels = noNamespaces,
  facts: ControlPlaneFacts = {},
): Snapshot {
  return snapshotOf(policy, catalog, namespaceLabels, kumaFor(policy, facts));
}

function snapshotOf(policy: Policy, catalog: CatalogView, namespaceLabels: NamespaceLabels, kuma: JudgedKuma): Snapshot {
  return {
    policy,
    environment: kuma.environment,
    ...createReviewInputs(kuma.settings, kuma.templates, catalog, namespaceLabels, kuma.environment.model),
  };
}

/** The Kuma a policy is judged against: its environment, and the settings and templates it yields. */
interface JudgedKuma {
  environment: KumaEnvironment;
  settings: KumaSettings;
  templates: ContainerTemplates;
}

/**
 * The Kuma of `facts` as `policy` sees it: the policy's version wins, its `templates` merge
 * patches apply over that Kuma's containers, and its defaultContainerPatches, when set,
 * replace the control plane's list. Throws only on facts the CLI validated at start-up.
 */
export function kumaFor(policy: Policy, facts: ControlPlaneFacts): JudgedKuma {
  const resolved = resolveKumaEnvironment(facts, policy.kumaVersion);
  if ("error" in resolved) throw new Error(resolved.error);
  const environment = resolved.value;
  const { model, injector } = environment;
  const settings: KumaSettings = {
    controlPlaneNamespaces: policy.settings.controlPlaneNamespaces,
    defaultContainerPatches: policy.overridesDefaultPatches === false ? injector.containerPatches : policy.settings.defaultContainerPatches,
  };
  // The policy's templates were merged over 2.14's Helm defaults at load: reuse them for that Kuma.
  const sameAsLoaded = model.version === DEFAULT_KUMA_VERSION && injector === model.helmDefaults;
  const patch = policy.templatePatch ?? { sidecar: {}, init: {} };
  const rendered = model.templates(injector);
  const templates = sameAsLoaded
    ? policy.templates
    : deepFreeze({
        sidecar: mergePatch(rendered.sidecar, patch.sidecar) as JsonObject,
        init: mergePatch(rendered.init, patch.init) as JsonObject,
      });
  return { environment, settings, templates };
}

/** What reviews read from Kuma's settings, templates and the catalog: catalog patches read on first use, chains kept in a bounded LRU. */
export function createReviewInputs(
  settings: KumaSettings,
  templates: ContainerTemplates,
  catalog: CatalogView,
  namespaceLabels: NamespaceLabels = noNamespaces,
  kuma: KumaModel = KUMA_2_14,
): ReviewInputs {
  // Only patches the catalog holds are kept, so request-chosen names cannot grow it.
  const patches = new Map<string, CatalogPatch>();
  const chains = new Map<string, SimulatedChain>();

  const patch = (name: string): CatalogPatch | undefined => {
    const known = patches.get(name);
    if (known) return known;
    const stored = catalog.get(name);
    if (!stored) return undefined;
    const read = readCatalogPatch(name, stored.spec);
    patches.set(name, read);
    return read;
  };

  const chain = (requested: readonly string[]): SimulatedChain => {
    // Names the catalog lacks change nothing (the simulation skips them): keyed by the found
    // ones, a pod naming thousands of missing patches shares the chain of the names it has.
    const names = requested.filter((name) => patch(name) !== undefined);
    const key = names.join("\u0000");
    // A request-chosen list this long is no cluster's shared list: simulated, not kept.
    if (key.length > MAX_CACHED_CHAIN_KEY) return simulateCatalogChain({ templates, patch }, names);
    const known = chains.get(key);
    if (known) {
      chains.delete(key); // most recently used goes last
      chains.set(key, known);
      return known;
    }
    const simulated = simulateCatalogChain({ templates, patch }, names);
    if (chains.size >= CHAIN_CACHE_SIZE) chains.delete(chains.keys().next().value!);
    chains.set(key, simulated);
    return simulated;
  };

  return { kuma, settings, templates, catalog, patch, chain, namespaceLabels };
}

/**
 * The snapshot for the current policy and catalog, rebuilt when either changes: a new
 * policy object (a reload) or a new catalog generation (a patch added, changed, deleted).
 * Requests that arrive meanwhile keep the snapshot they started with.
 */
export function createSnapshotSource(
  facts: () => ControlPlaneFacts = () => ({}),
): (policy: Policy, catalog: CatalogSource, namespaceLabels?: NamespaceLabels) => Snapshot {
  let current:
    | {
        snapshot: Snapshot;
        policy: Policy;
        catalog: CatalogSource;
        generation: number;
        facts: ControlPlaneFacts;
        namespaceLabels: NamespaceLabels;
      }
    | undefined;
  let kuma: { policy: Policy; facts: ControlPlaneFacts; judged: JudgedKuma } | undefined;
  return (policy, catalog, namespaceLabels = noNamespaces) => {
    const generation = catalog.generation();
    const known = facts();
    const same =
      current?.policy === policy &&
      current.catalog === catalog &&
      current.generation === generation &&
      current.facts === known &&
      current.namespaceLabels === namespaceLabels;
    if (current && same) return current.snapshot;
    // The Kuma part changes only with the policy or the control plane: a catalog change reuses it.
    if (!kuma || kuma.policy !== policy || kuma.facts !== known) kuma = { policy, facts: known, judged: kumaFor(policy, known) };
    // Namespace labels are read live (the watch keeps them current); only the function is part of the state.
    const snapshot = snapshotOf(policy, catalog.view(policy.settings.controlPlaneNamespaces), namespaceLabels, kuma.judged);
    current = { snapshot, policy, catalog, generation, facts: known, namespaceLabels };
    return snapshot;
  };
}
