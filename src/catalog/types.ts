import type { CatalogView, StoredContainerPatch } from "../kuma/model.js";

/** Where ContainerPatches come from: a directory, the Kubernetes API, or nothing. */
export interface CatalogSource {
  /** The patches Kuma would see, given the control-plane namespaces. Cheap: called per request. */
  view(controlPlaneNamespaces: readonly string[]): CatalogView;
  /** A number that changes whenever the patches held change: the snapshot is rebuilt then. */
  generation(): number;
  /** True once the first load or list has completed (gates /readyz). */
  synced(): boolean;
  /** Look up names the view lacks at the source of truth once (live GET with --kube); no-op elsewhere. */
  resolve(namespaces: readonly string[], names: readonly string[]): Promise<void>;
  /** Number of patches held per namespace (metric container_patches{namespace}). */
  countsByNamespace(): Record<string, number>;
  close(): Promise<void>;
}

/** Patches keyed by namespace, then name. */
export type PatchIndex = ReadonlyMap<string, ReadonlyMap<string, StoredContainerPatch>>;

/** Indexes patches by namespace and name; a later patch of the same name wins. */
export function indexPatches(patches: Iterable<StoredContainerPatch>): PatchIndex {
  const index = new Map<string, Map<string, StoredContainerPatch>>();
  for (const patch of patches) {
    const byName = index.get(patch.namespace) ?? new Map<string, StoredContainerPatch>();
    byName.set(patch.name, patch);
    index.set(patch.namespace, byName);
  }
  return index;
}

/** A view over an index restricted to the control-plane namespaces, first namespace wins. */
export function viewOf(index: PatchIndex, controlPlaneNamespaces: readonly string[], configured = true): CatalogView {
  return {
    configured,
    get(name) {
      for (const namespace of controlPlaneNamespaces) {
        const patch = index.get(namespace)?.get(name);
        if (patch) return patch;
      }
      return undefined;
    },
  };
}

/** No --patches and no --kube: nothing can be verified, so missing names are advisories. */
export function createNoCatalog(): CatalogSource {
  const empty: PatchIndex = new Map();
  return {
    view: (namespaces) => viewOf(empty, namespaces, false),
    generation: () => 0,
    synced: () => true,
    resolve: async () => {},
    countsByNamespace: () => ({}),
    close: async () => {},
  };
}
