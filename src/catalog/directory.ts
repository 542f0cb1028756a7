// The ContainerPatch catalog read from a local directory (`--patches DIR`): YAML/JSON files,
// typically a mounted ConfigMap, re-read when they change.
import type { CatalogView, StoredContainerPatch } from "../kuma/model.js";
import { viewOf } from "./types.js";
import type { CatalogSource, PatchIndex, SkipReason } from "./types.js";
import { createFileReader } from "./file-reader.js";
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
  /** Limits of the file reader (defaults: READ_DEADLINE_MS, READ_HEAP_MB). */
  reader?: { deadlineMs?: number; heapMb?: number };
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

type MutableIndex = Map<string, Map<string, StoredContainerPatch>>;

/** What the catalog holds of one file: the reading of its current version, and the patches it contributes. */
interface FileState {
  version: string;
  skipped?: SkipReason;
  /** The file's patches, or its last good ones while it is skipped. */
  patches: StoredContainerPatch[];
}

/**
 * Loads every .yaml/.yml/.json file under `dir` (recursively, multi-document, Lists expanded) and
 * keeps the kuma.io ContainerPatches. Files over a few KB are read in a worker thread
 * (file-reader.ts), and only when they changed, so each problem is logged once per change of its
 * file. A file that is too large, too deep, too slow to read or does not parse is skipped
 * (skippedFiles() by reason) and keeps its last good patches when it had some; other documents
 * are logged and skipped.
 * Patches in any namespace are kept, the view exposes only the control-plane namespaces, as Kuma
 * does. A directory that cannot be read leaves the last good catalog in place.
 */
export function createDirectoryCatalog(options: DirectoryCatalogOptions): DirectoryCatalog {
  const { dir, logger } = options;
  const reader = createFileReader(options.reader);
  let index: MutableIndex = new Map();
  let loadedFingerprint: string | undefined;
  let lastLoadFailed = false;
  let isSynced = false;
  let generation = 0;
  let fileStates = new Map<string, FileState>();
  /** The first control-plane namespace of the latest view(): where UNSET patches are counted. */
  let lastDefaultNamespace: string | undefined;
  let memo: { index: MutableIndex; defaultNamespace: string; merged: PatchIndex } | undefined;

  /** The state of a file whose version changed: read it, and say what happened once. */
  const readChanged = async (file: TreeFile, previous: FileState | undefined): Promise<FileState> => {
    const reading = await reader.read(file.path, UNSET_NAMESPACE);
    if (reading.patches) {
      for (const problem of reading.problems)
        logger.warn({ file: file.name, line: problem.line }, `${file.name}:${problem.line ?? 1}: ${problem.message}`);
      return { version: file.version, patches: reading.patches };
    }
    const where = reading.line === undefined ? file.name : `${file.name}:${reading.line}`;
    logger.warn(
      { file: file.name, line: reading.line, reason: reading.skipped },
      `${where}: ${reading.message} (file skipped: ${reading.skipped})`,
    );
    const kept = previous?.patches ?? [];
    if (kept.length > 0)
      logger.warn({ file: file.name }, `${file.name}: keeping its last good ContainerPatches (${kept.length}) until the file is fixed`);
    return { version: file.version, skipped: reading.skipped, patches: kept };
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
    const nextStates = new Map<string, FileState>();
    try {
      for (const file of files) {
        const previous = fileStates.get(file.name);
        nextStates.set(file.name, previous?.version === file.version ? previous : await readChanged(file, previous));
      }
    } finally {
      await reader.close(); // loads are rare: no idle worker holding memory between them
    }
    const next: MutableIndex = new Map();
    const origin = new Map<string, string>();
    for (const [file, state] of nextStates) {
      for (const patch of state.patches) {
        const byName = next.get(patch.namespace) ?? new Map<string, StoredContainerPatch>();
        const key = `${patch.namespace}/${patch.name}`;
        const first = origin.get(key);
        if (first !== undefined)
          logger.warn({ file, name: patch.name }, `${file}: ContainerPatch ${key} is also in ${first}; the one in ${file} wins`);
        byName.set(patch.name, patch);
        next.set(patch.namespace, byName);
        origin.set(key, file);
      }
    }
    const changed = !sameIndex(index, next);
    if (changed) generation++;
    index = next;
    fileStates = nextStates;
    loadedFingerprint = fingerprint;
    isSynced = true;
    const skipped = [...nextStates.values()].filter((state) => state.skipped !== undefined).length;
    logger.info({ dir, files: files.length, skipped, patches: origin.size }, "ContainerPatch directory loaded");
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
    skippedFiles() {
      const counts: Record<SkipReason, number> = { too_large: 0, too_deep: 0, too_slow: 0, unparsable: 0, unreadable: 0 };
      for (const state of fileStates.values()) if (state.skipped !== undefined) counts[state.skipped]++;
      return counts;
    },
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
