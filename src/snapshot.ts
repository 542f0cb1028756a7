// Everything derived from the catalog and the policy, computed once per state of the two
// and dropped when either changes. The only module that caches: rules and kuma/ compute,
// this module remembers. Nothing in it is derived from a request, so no request's text or
// key order can reach another request's answer.

import { readCatalogPatch, simulateCatalogChain } from "./kuma/analysis.js";
import type { CatalogPatch, ReviewInputs, SimulatedChain } from "./kuma/analysis.js";
import type { CatalogView, ContainerTemplates, KumaSettings, Labels } from "./kuma/model.js";
import type { CatalogSource } from "./catalog/types.js";
import type { Policy } from "./policy/types.js";

/** The policy and catalog in force, with what is derived from them. Immutable to its users. */
export interface Snapshot extends ReviewInputs {
  readonly policy: Policy;
}

/**
 * Distinct name lists whose chains a snapshot keeps. A cluster's workloads reference a
 * handful of patch lists; a request naming new lists over and over only evicts, oldest first.
 */
const CHAIN_CACHE_SIZE = 256;

/** Labels of the namespaces known (from the cluster, or from `check`'s input); undefined for an unknown one. */
export type NamespaceLabels = (namespace: string) => Labels | undefined;

const noNamespaces: NamespaceLabels = () => undefined;

/** A snapshot of `policy` over `catalog`. */
export function createSnapshot(policy: Policy, catalog: CatalogView, namespaceLabels: NamespaceLabels = noNamespaces): Snapshot {
  return { policy, ...createReviewInputs(policy.settings, policy.templates, catalog, namespaceLabels) };
}

/** What reviews read from Kuma's settings, templates and the catalog: catalog patches read on first use, chains kept in a bounded LRU. */
export function createReviewInputs(
  settings: KumaSettings,
  templates: ContainerTemplates,
  catalog: CatalogView,
  namespaceLabels: NamespaceLabels = noNamespaces,
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

  const chain = (names: readonly string[]): SimulatedChain => {
    const key = names.join("\u0000");
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

  return { settings, templates, catalog, patch, chain, namespaceLabels };
}

/**
 * The snapshot for the current policy and catalog, rebuilt when either changes: a new
 * policy object (a reload) or a new catalog generation (a patch added, changed, deleted).
 * Requests that arrive meanwhile keep the snapshot they started with.
 */
export function createSnapshotSource(): (policy: Policy, catalog: CatalogSource) => Snapshot {
  let current: { snapshot: Snapshot; policy: Policy; catalog: CatalogSource; generation: number } | undefined;
  return (policy, catalog) => {
    const generation = catalog.generation();
    if (current && current.policy === policy && current.catalog === catalog && current.generation === generation) return current.snapshot;
    const snapshot = createSnapshot(policy, catalog.view(policy.settings.controlPlaneNamespaces));
    current = { snapshot, policy, catalog, generation };
    return snapshot;
  };
}
