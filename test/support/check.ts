// `kuma-guard check` in the test's process, for tests about what it reports rather than about
// the process (those use test/support/cli.ts): a process start costs ~0.5 s of CPU, the check
// itself a few milliseconds.
import { loadCheckPolicy, runCheck } from "../../src/check.js";
import { controlPlaneFactsOf } from "../../src/model.js";
import type { Format } from "../../src/report/index.js";
import { VERSION } from "../../src/version.js";
import type { CliRun } from "./cli.js";
import { createMemoryLogger } from "./logger.js";

export interface CheckCall {
  paths: string[];
  format?: Format;
  namespace?: string;
  /** --policy; the bundled default policy without. */
  policy?: string;
  /** --patches */
  patches?: string;
  /** What "-" reads. */
  stdin?: string;
}

/**
 * `kuma-guard check` with these flags' values, in this process: the calls the CLI's check action
 * makes, with stdout, stderr and the logger captured. Relative paths are read from the working
 * directory (npm test runs in the repository root), so reports name them as the CLI would.
 */
export async function checkInProcess(call: CheckCall): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCheck(
    { paths: call.paths, patches: call.patches, format: call.format ?? "text", namespace: call.namespace ?? "default" },
    {
      policy: await loadCheckPolicy(call.policy),
      controlPlane: await controlPlaneFactsOf({}),
      logger: createMemoryLogger(),
      version: VERSION,
      readStdin: async () => call.stdin ?? "",
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
    },
  );
  return { code, stdout, stderr };
}
