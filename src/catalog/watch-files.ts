// Noticing that a directory tree changed, including a Kubernetes ConfigMap/Secret update.
// Kubernetes updates a mounted volume by writing `..2026_xx/`, then renaming a new `..data`
// symlink over the old one; fs.watch does not report that everywhere (inotify on the mount
// root does, overlay and network filesystems and macOS may not), so a cheap periodic
// comparison backs it up.
import { watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { extname, join, relative } from "node:path";

/** The part of a pino logger the catalogs use; pass the application's logger in. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

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

export interface ChangeWatcherOptions {
  dir: string;
  logger: Logger;
  /** Called (debounced) when something may have changed; may run long, never concurrently. */
  onChange: () => Promise<void>;
  /** Polled every pollIntervalMs: true when the tree differs from what was last loaded. */
  isStale: () => Promise<boolean>;
  pollIntervalMs: number;
  debounceMs: number;
}

/** fs.watch plus a periodic isStale() poll, debounced into serialized onChange() calls. Timers are unref()'d. */
export function createChangeWatcher(options: ChangeWatcherOptions): { trigger(): void; close(): void } {
  const { dir, logger, pollIntervalMs, debounceMs } = options;
  let closed = false;
  let watcher: FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;

  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await options.onChange().catch((e: unknown) => logger.error({ err: e, dir }, "reloading the directory failed"));
      } while (again && !closed);
    } finally {
      running = false;
    }
    ensureWatcher();
  };

  const trigger = (): void => {
    if (closed) return;
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = undefined;
      void run();
    }, debounceMs);
    debounce.unref();
  };

  const ensureWatcher = (): void => {
    if (closed || watcher) return;
    const start = (recursive: boolean): FSWatcher => watch(dir, { recursive, persistent: false }, trigger);
    try {
      try {
        watcher = start(true);
      } catch {
        watcher = start(false); // recursive watching is not available on every platform
      }
      watcher.on("error", (e) => {
        // e.g. the directory was removed; the poll keeps going and a later reload re-creates the watch
        logger.warn({ err: e, dir }, "watching the directory failed; polling only");
        watcher?.close();
        watcher = undefined;
      });
    } catch (e) {
      logger.debug({ err: e, dir }, "cannot watch the directory yet; polling only");
    }
  };

  let polling = false;
  const poll = setInterval(() => {
    if (closed || polling || running) return;
    polling = true;
    options
      .isStale()
      .then((stale) => {
        if (stale) trigger();
      })
      .catch((e: unknown) => logger.debug({ err: e, dir }, "checking the directory for changes failed"))
      .finally(() => {
        polling = false;
      });
  }, pollIntervalMs);
  poll.unref();
  ensureWatcher();

  return {
    trigger,
    close() {
      closed = true;
      clearInterval(poll);
      if (debounce) clearTimeout(debounce);
      watcher?.close();
      watcher = undefined;
    },
  };
}
