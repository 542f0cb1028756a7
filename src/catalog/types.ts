import type { CatalogView, StoredContainerPatch } from "../kuma/model.js";

/** What a live lookup of one name in one namespace came to (metric kube_lookups_total{result}). */
export type LookupResult = "found" | "missing" | "error" | "skipped";

/** Why a catalog file was left out (metric catalog_files_skipped{reason}). */
export type SkipReason = "too_large" | "too_deep" | "too_slow" | "unparsable" | "unreadable";

/** Where ContainerPatches come from: a directory, the Kubernetes API, or nothing. */
export interface CatalogSource {
  /** The patches Kuma would see, given the control-plane namespaces. Cheap: called per request. */
  view(controlPlaneNamespaces: readonly string[]): CatalogView;
  /** A number that changes whenever the patches held change: the snapshot is rebuilt then. */
  generation(): number;
  /** True once the first load or list has completed (gates /readyz). */
  synced(): boolean;
  /**
   * Look up names the view lacks at the source of truth (live GET with --kube, a bounded number
   * per call); no-op elsewhere. Names it could not check stay unverified in later views.
   */
  resolve(namespaces: readonly string[], names: readonly string[]): Promise<void>;
  /** Number of patches held per namespace (metric container_patches{namespace}). */
  countsByNamespace(): Record<string, number>;
  /** Live lookups so far, by result (--kube only). */
  lookupCounts?(): Readonly<Record<LookupResult, number>>;
  /** Files currently left out of the catalog, by reason (--patches only). */
  skippedFiles?(): Readonly<Record<SkipReason, number>>;
  close(): Promise<void>;
}

/**
 * A view that can also say whether a name it lacks is known to be missing. With --kube, a name
 * the watch has not delivered counts as missing only after a live GET said 404; a name whose
 * lookup was skipped (over the per-request cap) or failed is unverified, and rules only warn.
 */
export interface VerifyingCatalogView extends CatalogView {
  verified(name: string): boolean;
}

/**
 * Whether `name` can name a ContainerPatch at all: the API server validates custom resource
 * names as DNS-1123 subdomains (at most 253 characters of [a-z0-9.-], alphanumeric at both
 * ends of each dot-separated part). Any other name is missing for certain, without asking.
 * Kubernetes: apiextensions-apiserver pkg/registry/customresource/validator.go (NameIsDNSSubdomain).
 */
export function isObjectName(name: string): boolean {
  return name.length <= MAX_OBJECT_NAME && OBJECT_NAME.test(name);
}

const MAX_OBJECT_NAME = 253;
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

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

/**
 * A view over an index restricted to the control-plane namespaces, first namespace wins.
 * `knownMissing(namespace, name)` says a name absent from the index is confirmed missing there;
 * by default the index is the whole truth. A name no object can have is always confirmed missing.
 */
export function viewOf(
  index: PatchIndex,
  controlPlaneNamespaces: readonly string[],
  configured = true,
  knownMissing?: (namespace: string, name: string) => boolean,
): VerifyingCatalogView {
  const get = (name: string): StoredContainerPatch | undefined => {
    for (const namespace of controlPlaneNamespaces) {
      const patch = index.get(namespace)?.get(name);
      if (patch) return patch;
    }
    return undefined;
  };
  return {
    configured,
    get,
    verified: (name) =>
      knownMissing === undefined ||
      get(name) !== undefined ||
      !isObjectName(name) ||
      controlPlaneNamespaces.every((namespace) => knownMissing(namespace, name)),
  };
}

/** No --patches and no --kube: nothing can be verified, so missing names are advisories. */
export function createNoCatalog(): CatalogSource {
  const empty: PatchIndex = new Map();
  return {
    view: (namespaces) => viewOf(empty, namespaces, false),
    synced: () => true,
    resolve: async () => {},
    countsByNamespace: () => ({}),
    generation: () => 0,
    close: async () => {},
  };
}
