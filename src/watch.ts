// Noticing that files changed, including a Kubernetes ConfigMap/Secret update, for the
// directory catalog, the policy file and the TLS pair. Kubernetes updates a mounted volume by
// writing `..2026_xx/`, then renaming a new `..data` symlink over the old one; fs.watch does
// not report that everywhere (inotify on the mount root does, overlay and network filesystems
// and macOS may not), so a cheap periodic comparison backs it up.
import { watch } from "node:fs";
import type { FSWatcher } from "node:fs";

/** The part of a pino logger the watchers and catalogs use; pass the application's logger in. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ChangeWatcherOptions {
  /** Directories to fs.watch: those of the files, not the files (their inodes change on every update). */
  dirs: readonly string[];
  /** Watch subdirectories too where the platform can (falls back to the top level). */
  recursive?: boolean;
  /** Names what is watched in log messages, e.g. "the policy file". */
  what: string;
  /** debug is optional: the policy store's logger has none. */
  logger: Pick<Logger, "warn" | "error"> & Partial<Pick<Logger, "debug">>;
  /** Called (debounced) when something may have changed; may run long, never concurrently. True: it changed something. */
  onChange: () => Promise<unknown>;
  /** Polled every pollIntervalMs (skipped while onChange runs): true when the files differ from what was last loaded. */
  isStale: () => Promise<boolean>;
  pollIntervalMs: number;
  debounceMs: number;
}

export interface ChangeWatcher {
  /** Schedules onChange after the debounce; what fs.watch and a stale poll call. */
  trigger(): void;
  /**
   * Calls onChange now, or once more after the call in progress; resolves when no more calls are
   * due, true when one of them returned true. A failed call is logged, never rejected.
   */
  run(): Promise<boolean>;
  /** Stops the timers and watchers; resolves when an onChange in progress has finished. */
  close(): Promise<void>;
}

/** fs.watch plus a periodic isStale() poll, debounced into serialized onChange() calls. Timers and watchers never keep the process alive. */
export function createChangeWatcher(options: ChangeWatcherOptions): ChangeWatcher {
  const { logger, what, pollIntervalMs, debounceMs } = options;
  let closed = false;
  let debounce: NodeJS.Timeout | undefined;
  let running: Promise<boolean> | undefined;
  let again = false;

  const run = (): Promise<boolean> => {
    if (running) {
      again = true; // a change during a run: run once more rather than concurrently
      return running;
    }
    running = (async () => {
      let changed = false;
      try {
        do {
          again = false;
          const result = await options
            .onChange()
            .catch((err: unknown) => logger.error({ err, dirs: options.dirs }, `reloading ${what} failed`));
          changed = result === true || changed;
        } while (again && !closed);
      } finally {
        running = undefined;
      }
      ensureWatchers();
      return changed;
    })();
    return running;
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

  const watchers = new Map<string, FSWatcher>();
  const ensureWatchers = (): void => {
    for (const dir of new Set(options.dirs)) {
      if (closed || watchers.has(dir)) continue;
      const start = (recursive: boolean): FSWatcher => watch(dir, { recursive, persistent: false }, trigger);
      try {
        let watcher: FSWatcher;
        try {
          watcher = start(options.recursive === true);
        } catch (e) {
          if (!options.recursive) throw e;
          watcher = start(false); // recursive watching is not available on every platform
        }
        watcher.on("error", (err) => {
          // e.g. the directory was removed; the poll keeps going and re-creates the watch
          logger.warn({ err, dir }, `watching ${what} failed; polling only`);
          watcher.close();
          watchers.delete(dir);
        });
        watchers.set(dir, watcher);
      } catch (err) {
        logger.debug?.({ err, dir }, `cannot watch ${what} yet; polling only`);
      }
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
      .catch((err: unknown) => logger.debug?.({ err, dirs: options.dirs }, `checking ${what} for changes failed`))
      .finally(() => {
        polling = false;
        ensureWatchers(); // a directory that vanished and came back is watched again
      });
  }, pollIntervalMs);
  poll.unref();
  ensureWatchers();

  return {
    trigger,
    run,
    async close() {
      closed = true;
      clearInterval(poll);
      if (debounce) clearTimeout(debounce);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
      await running;
    },
  };
}
