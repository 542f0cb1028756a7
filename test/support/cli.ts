// The CLI as a process, for tests about the process itself: argv, exit status, stdin, signals,
// which stream carries what. Other tests call the modules the CLI wires (a process start costs
// ~0.5 s of CPU; test/support/check.ts runs `check` in the test's process).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The CLI built from this checkout's src/ by the tests' own tsc run (dist/ may be stale or absent). */
export const CLI = fileURLToPath(new URL("../../src/cli.js", import.meta.url));

/** The repository root, from the compiled file in .test-build/test/support/. */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `kuma-guard <args>` as a process in the repository root, without the caller's KUMA_GUARD_* settings. */
export function runCli(args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}): CliRun {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("KUMA_GUARD_") && key !== "NO_COLOR"));
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...inherited, ...options.env },
    input: options.input ?? "",
    encoding: "utf8",
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
