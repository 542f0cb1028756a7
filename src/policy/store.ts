import { readFile, realpath, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { createChangeWatcher } from "../watch.js";
import { describeFsError, loadPolicy, parsePolicy, bundledPolicyPath } from "./load.js";
import { PolicyLoadError } from "./errors.js";
import type { Policy } from "./types.js";

// The policy in force, reloaded when its file changes. Kubernetes updates a mounted ConfigMap
// by writing a new `..2026_…` directory and renaming a `..data` symlink over the old one; the
// file itself (`policy.yaml -> ..data/policy.yaml`) never changes, so we watch its directory
// and, because fs.watch misses that on some filesystems, also poll `realpath` + `stat`.
// A bad edit or a deleted file keeps the last good policy.

/** The part of a pino logger the store uses. */
export interface PolicyLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** The metric the store counts reloads in (metrics.ts policyReloads). */
export interface PolicyReloadCounter {
  policyReloads: { inc(labels: { result: "success" | "failure" }, value?: number): void };
}

export interface PolicyStoreOptions {
  /** The policy file; without it, the bundled policies/default.yaml (not watched). */
  file?: string;
  logger: PolicyLogger;
  /** Where reloads are counted; a function when the metrics exist only later (serve creates them after the first load). */
  metrics?: PolicyReloadCounter | (() => PolicyReloadCounter | undefined);
  /** Called after a changed file was loaded and swapped in. */
  onReload?: (policy: Policy) => void;
  /** Poll period of the stat/realpath check (default 2 s: a ConfigMap update takes a minute or more anyway). */
  pollIntervalMs?: number;
  /** Editors and kubelet write in several steps; wait this long after the last event (default 100 ms). */
  debounceMs?: number;
}

export interface PolicyStore {
  /** The policy in force: read it per request, never cache it. */
  current(): Policy;
  /** The file in use (the bundled default's absolute path when none was given). */
  readonly file: string;
  /** Re-reads the file now; resolves true when a changed, valid policy was swapped in. */
  reload(): Promise<boolean>;
  /** Stops watching; waits for a reload in progress. */
  close(): Promise<void>;
}

const DEFAULT_POLL_MS = 2000;
const DEFAULT_DEBOUNCE_MS = 100;

/**
 * Loads the policy (rejects with PolicyLoadError when the first load fails: do not start
 * with a broken policy) and, for a given file, watches it. Reload results are counted in
 * `policyReloads{result}` and logged with the file and the problems.
 */
export async function createPolicyStore(options: PolicyStoreOptions): Promise<PolicyStore> {
  const { logger } = options;
  let seriesCreated = false;
  const count = (result?: "success" | "failure"): void => {
    const metrics = typeof options.metrics === "function" ? options.metrics() : options.metrics;
    if (!metrics) return;
    if (!seriesCreated) {
      // Both series exist from the first sight of the metrics, so a dashboard can tell "no reload" from "no data".
      seriesCreated = true;
      metrics.policyReloads.inc({ result: "success" }, 0);
      metrics.policyReloads.inc({ result: "failure" }, 0);
    }
    if (result) metrics.policyReloads.inc({ result });
  };
  const file = options.file ?? (await bundledPolicyPath());
  // Taken before the first read: a change in between is seen by the first poll.
  let lastFingerprint = await fingerprintOf(file);
  const initialText = await readPolicyText(file);
  if ("error" in initialText) throw new PolicyLoadError([`${file}: cannot read the policy file: ${initialText.error}`]);
  let policy = await parsePolicy(initialText.text, file);
  logLoaded(logger, policy, "policy loaded");
  count();

  const store: PolicyStore = {
    current: () => policy,
    file,
    reload: async () => false,
    close: async () => undefined,
  };
  if (options.file === undefined) return store;

  let lastAttempt = initialText.text;
  const reloadOnce = async (): Promise<boolean> => {
    const read = await readPolicyText(file);
    const key = "error" in read ? `\u0000error:${read.error}` : read.text;
    if (key === lastAttempt) return false; // nothing changed since the last attempt: no recount, no relog
    lastAttempt = key;
    try {
      if ("error" in read) throw new PolicyLoadError([`${file}: cannot read the policy file: ${read.error}`]);
      const next = await parsePolicy(read.text, file);
      policy = next;
      count("success");
      logLoaded(logger, next, "policy reloaded");
      options.onReload?.(next);
      return true;
    } catch (cause) {
      count("failure");
      const problems = cause instanceof PolicyLoadError ? cause.problems : [String(cause)];
      logger.error({ file, problems, keeping: policy.name }, `policy reload failed, keeping the last good policy: ${problems.join("; ")}`);
      return false;
    }
  };

  // Reloads never overlap: a change during a reload schedules one more (the watcher's run()).
  const watcher = createChangeWatcher({
    // Any event in the directory (the file, `..data`, an editor's temp file): reloadOnce dedupes by content.
    dirs: [dirname(file)],
    what: "the policy file",
    logger,
    onChange: reloadOnce,
    isStale: async () => {
      const fingerprint = await fingerprintOf(file);
      if (fingerprint === lastFingerprint) return false;
      lastFingerprint = fingerprint;
      return true;
    },
    pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_MS,
    debounceMs: options.debounceMs ?? DEFAULT_DEBOUNCE_MS,
  });
  store.reload = watcher.run;
  store.close = watcher.close;
  return store;
}

async function readPolicyText(file: string): Promise<{ text: string } | { error: string }> {
  try {
    return { text: await readFile(file, "utf8") };
  } catch (cause) {
    return { error: describeFsError(cause) };
  }
}

/** Changes when the file, or a symlink on its way (`..data`), is replaced or modified. Never throws. */
async function fingerprintOf(file: string): Promise<string> {
  try {
    const [real, info] = await Promise.all([realpath(file), stat(file)]);
    return `${real}\u0000${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}`;
  } catch (cause) {
    return `\u0000missing:${describeFsError(cause)}`;
  }
}

function logLoaded(logger: PolicyLogger, policy: Policy, message: string): void {
  logger.info({ file: policy.source, policy: policy.name, customRules: policy.customRuleIds ?? [] }, message);
  for (const warning of policy.warnings ?? []) logger.warn({ file: policy.source }, warning);
}

/** For `check` and other one-shot callers: the policy of `file` (or the bundled default). */
export { loadPolicy };
