// The manifest files of a directory tree and a fingerprint of them: what the directory catalog
// loads and what its watcher (../watch.ts) compares to notice a change.
import { readdir, realpath, stat } from "node:fs/promises";
import { extname, join, relative } from "node:path";

export type { Logger } from "../watch.js";

/** A manifest file found under the directory. */
export interface TreeFile {
  /** Absolute path as found (through symlinks, not resolved). */
  path: string;
  /** Path relative to the watched directory, for messages. */
  name: string;
  /** Identity and version of the content: changes when the file or a symlink on its way changes. */
  version: string;
}

const MANIFEST_EXTENSIONS = new Set([".yaml", ".yml", ".json"]);
/** Deeper trees are not what a ConfigMap or a checked-out config directory looks like. */
const MAX_DEPTH = 16;

/**
 * The manifest files (.yaml, .yml, .json) under `dir`, sorted by name. Names starting with "."
 * are skipped: Kubernetes keeps every mounted file twice, as `..2026_xx/f` (and `..data/f`) and
 * as the top-level symlink `f -> ..data/f`; the top-level symlinks are the current version.
 * Symlinks are followed (directory loops are cut). Throws only when `dir` itself is unreadable.
 */
export async function listManifestFiles(dir: string): Promise<TreeFile[]> {
  const files: TreeFile[] = [];
  const seenDirs = new Set<string>();
  const walk = async (current: string, depth: number, isRoot: boolean): Promise<void> => {
    let real: string;
    let entries: string[];
    try {
      real = await realpath(current);
      entries = await readdir(current);
    } catch (e) {
      if (isRoot) throw e;
      return; // vanished while walking: the next scan sees the new state
    }
    if (seenDirs.has(real) || depth > MAX_DEPTH) return;
    seenDirs.add(real);
    for (const entry of entries.sort()) {
      if (entry.startsWith(".")) continue;
      const path = join(current, entry);
      let info;
      try {
        info = await stat(path); // follows symlinks: the version is that of the target
      } catch {
        continue; // dangling symlink or removed meanwhile
      }
      if (info.isDirectory()) await walk(path, depth + 1, false);
      else if (info.isFile() && MANIFEST_EXTENSIONS.has(extname(entry).toLowerCase())) {
        files.push({ path, name: relative(dir, path), version: `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}` });
      }
    }
  };
  await walk(dir, 0, true);
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** One string that changes whenever a listed file is added, removed, replaced or modified. */
export function fingerprintOf(files: readonly TreeFile[]): string {
  return files.map((f) => `${f.name}\0${f.version}`).join("\n");
}
