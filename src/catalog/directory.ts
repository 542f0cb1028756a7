// The ContainerPatch catalog read from a local directory (`--patches DIR`): YAML/JSON files,
// typically a mounted ConfigMap, re-read when they change.
import { readFile } from "node:fs/promises";
import { readManifests, toStoredPatch } from "../manifests.js";
import type { CatalogView, StoredContainerPatch } from "../rules/types.js";
import { viewOf } from "./types.js";
import type { CatalogSource, PatchIndex } from "./types.js";
import { createChangeWatcher } from "../watch.js";
import { fingerprintOf, listManifestFiles } from "./watch-files.js";
import type { Logger, TreeFile } from "./watch-files.js";

export type { Logger } from "./watch-files.js";

export interface DirectoryCatalogOptions {
  dir: string;
  logger: Logger;
  /** Called after a reload changed the catalog. */
  onChange?: () => void;
  /** Re-read on change (default true); `check` reads once. */
  watch?: boolean;
  /**
   * How often the tree is compared with what was loaded (default 10 s): the fallback for missed
   * fs.watch events. The walk stats every file (200 patches: ~2 % of a busy server's CPU at a
   * 2 s interval), and the kubelet takes up to a minute to update a mounted ConfigMap anyway.
   */
  pollIntervalMs?: number;
  /** Quiet time before a burst of fs.watch events turns into one reload (default 100 ms). */
  debounceMs?: number;
}

export interface DirectoryCatalog extends CatalogSource {
  /** Settles after the first load attempt (never rejects); then synced() says whether it succeeded. */
  readonly ready: Promise<void>;
  /** Re-read the directory now (serialized with watch-triggered reloads). */
  reload(): Promise<void>;
}

/**
 * Namespace of patches whose manifest has no metadata.namespace. `kubectl apply -n kuma-system`
 * would place them, so the catalog takes them to be in the first control-plane namespace it is
 * viewed with; "" is never a real namespace.
 */
const UNSET_NAMESPACE = "";

/** A manifest larger than this is not a ContainerPatch collection (a ConfigMap holds at most 1 MiB). */
const MAX_FILE_BYTES = 8 * 1024 * 1024;

type MutableIndex = Map<string, Map<string, StoredContainerPatch>>;

/**
 * Loads every .yaml/.yml/.json file under `dir` (recursively, multi-document, Lists expanded) and
 * keeps the kuma.io ContainerPatches. A file that does not parse is logged and skipped (its last
 * good content is kept when there was one); other documents are logged and skipped. Patches in any
 * namespace are kept, the view exposes only the control-plane namespaces, as Kuma does.
 * A directory that cannot be read leaves the last good catalog in place.
 */
export function createDirectoryCatalog(options: DirectoryCatalogOptions): DirectoryCatalog {
  const { dir, logger } = options;
  let index: MutableIndex = new Map();
  let loadedFingerprint: string | undefined;
  let lastLoadFailed = false;
  let isSynced = false;
  let generation = 0;
  /** Patches per file of the last load, to keep a file's last good content across a bad edit. */
  let patchesByFile = new Map<string, StoredContainerPatch[]>();
  /** The first control-plane namespace of the latest view(): where UNSET patches are counted. */
  let lastDefaultNamespace: string | undefined;
  let memo: { index: MutableIndex; defaultNamespace: string; merged: PatchIndex } | undefined;

  const readFileSafely = async (file: TreeFile): Promise<string | undefined> => {
    try {
      const buffer = await readFile(file.path);
      if (buffer.length > MAX_FILE_BYTES) {
        logger.warn({ file: file.name, bytes: buffer.length }, `${file.name}: larger than ${MAX_FILE_BYTES} bytes; skipped`);
        return undefined;
      }
      return buffer.toString("utf8");
    } catch (e) {
      logger.warn({ err: e, file: file.name }, `${file.name}: cannot be read; skipped`);
      return undefined;
    }
  };

  const patchesOf = (file: TreeFile, text: string): StoredContainerPatch[] => {
    const { documents, errors } = readManifests(text, file.name);
    for (const e of errors) logger.warn({ file: e.file, line: e.line }, `${e.file}:${e.line ?? 1}: ${e.message}`);
    const previous = patchesByFile.get(file.name);
    if (errors.length > 0 && previous) {
      logger.warn({ file: file.name }, `${file.name}: keeping its last good ContainerPatches until the file is fixed`);
      return previous;
    }
    const patches: StoredContainerPatch[] = [];
    for (const doc of documents) {
      const patch = toStoredPatch(doc.object, UNSET_NAMESPACE);
      if (patch) patches.push(patch);
      else logger.warn({ file: doc.file, line: doc.line }, `${doc.file}:${doc.line}: not a kuma.io ContainerPatch with a name; skipped`);
    }
    return patches;
  };

  const load = async (): Promise<void> => {
    let files: TreeFile[];
    try {
      files = await listManifestFiles(dir);
    } catch (e) {
      if (!lastLoadFailed) logger.error({ err: e, dir }, `cannot read the ContainerPatch directory ${dir}; keeping the last good catalog`);
      lastLoadFailed = true;
      return;
    }
    lastLoadFailed = false;
    const fingerprint = fingerprintOf(files);
    if (fingerprint === loadedFingerprint) return;
    const nextByFile = new Map<string, StoredContainerPatch[]>();
    for (const file of files) {
      const text = await readFileSafely(file);
      const patches = text === undefined ? patchesByFile.get(file.name) : patchesOf(file, text);
      if (patches) nextByFile.set(file.name, patches);
    }
    const next: MutableIndex = new Map();
    const origin = new Map<string, string>();
    for (const [file, patches] of nextByFile) {
      for (const patch of patches) {
        const byName = next.get(patch.namespace) ?? new Map<string, StoredContainerPatch>();
        const key = `${patch.namespace}/${patch.name}`;
        const first = origin.get(key);
        if (first !== undefined) logger.warn({ file, name: patch.name }, `${file}: ContainerPatch ${key} is also in ${first}; the one in ${file} wins`);
        byName.set(patch.name, patch);
        next.set(patch.namespace, byName);
        origin.set(key, file);
      }
    }
    const changed = !sameIndex(index, next);
    if (changed) generation++;
    index = next;
    patchesByFile = nextByFile;
    loadedFingerprint = fingerprint;
    isSynced = true;
    logger.info({ dir, files: files.length, patches: origin.size }, "ContainerPatch directory loaded");
    if (changed) options.onChange?.();
  };

  let chain: Promise<void> = Promise.resolve();
  const reload = (): Promise<void> => {
    chain = chain.then(load).catch((e: unknown) => logger.error({ err: e, dir }, "loading the ContainerPatch directory failed"));
    return chain;
  };

  const watcher =
    options.watch === false
      ? undefined
      : createChangeWatcher({
          dirs: [dir],
          recursive: true,
          what: "the ContainerPatch directory",
          logger,
          onChange: reload,
          isStale: async () => {
            try {
              return fingerprintOf(await listManifestFiles(dir)) !== loadedFingerprint;
            } catch {
              return !lastLoadFailed; // report a vanished directory once, through load()
            }
          },
          pollIntervalMs: options.pollIntervalMs ?? 10_000,
          debounceMs: options.debounceMs ?? 100,
        });

  const mergedIndex = (defaultNamespace: string): PatchIndex => {
    const unset = index.get(UNSET_NAMESPACE);
    if (!unset) return index;
    if (memo && memo.index === index && memo.defaultNamespace === defaultNamespace) return memo.merged;
    const byName = new Map<string, StoredContainerPatch>();
    for (const [name, patch] of unset) byName.set(name, { ...patch, namespace: defaultNamespace });
    for (const [name, patch] of index.get(defaultNamespace) ?? []) byName.set(name, patch); // an explicit namespace wins
    const merged: MutableIndex = new Map(index);
    merged.delete(UNSET_NAMESPACE);
    merged.set(defaultNamespace, byName);
    memo = { index, defaultNamespace, merged };
    return merged;
  };

  return {
    ready: reload(),
    reload,
    view(controlPlaneNamespaces): CatalogView {
      const first = controlPlaneNamespaces[0];
      if (first === undefined) return viewOf(new Map(), controlPlaneNamespaces);
      lastDefaultNamespace = first;
      return viewOf(mergedIndex(first), controlPlaneNamespaces);
    },
    synced: () => isSynced,
    generation: () => generation,
    resolve: async () => {},
    countsByNamespace() {
      const counts: Record<string, number> = {};
      const source = lastDefaultNamespace === undefined ? index : mergedIndex(lastDefaultNamespace);
      for (const [namespace, byName] of source) counts[namespace] = byName.size;
      return counts;
    },
    async close() {
      await watcher?.close();
      await chain;
    },
  };
}

function sameIndex(a: MutableIndex, b: MutableIndex): boolean {
  if (a.size !== b.size) return false;
  for (const [namespace, byName] of a) {
    const other = b.get(namespace);
    if (!other || other.size !== byName.size) return false;
    for (const [name, patch] of byName) {
      const o = other.get(name);
      if (!o || JSON.stringify(o.spec) !== JSON.stringify(patch.spec)) return false;
    }
  }
  return true;
}
