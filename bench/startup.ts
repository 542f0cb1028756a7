// Start-up of `kuma-guard check` on one small file beside a bare `node -e 0`: a pre-commit hook
// pays it on every commit. Runs alternate between the two so that a neighbour's load hits both.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { quantile, round } from "./stats.js";

export interface Startup {
  runs: number;
  /** Median wall-clock milliseconds. */
  nodeMs: number;
  checkMs: number;
}

/** Median of `runs` timed runs each (after one untimed run of each, which fills caches). */
export function measureStartup(node: string, root: URL, runs: number): Startup {
  const cwd = fileURLToPath(root);
  const commands = { node: ["-e", "0"], check: ["dist/cli.js", "check", "test/fixtures/manifests/clean/app.yaml"] };
  const time = (args: string[]): number => {
    const start = performance.now();
    const result = spawnSync(node, args, { cwd, stdio: "ignore" });
    if (result.status !== 0) throw new Error(`${node} ${args.join(" ")} exited ${result.status}`);
    return performance.now() - start;
  };
  time(commands.node);
  time(commands.check);
  const samples = { node: [] as number[], check: [] as number[] };
  for (let i = 0; i < runs; i++) {
    samples.node.push(time(commands.node));
    samples.check.push(time(commands.check));
  }
  return { runs, nodeMs: round(quantile(samples.node, 0.5), 0), checkMs: round(quantile(samples.check, 0.5), 0) };
}

export const startupLine = (s: Startup): string =>
  `start-up: kuma-guard check on one file ${s.checkMs} ms, node -e 0 ${s.nodeMs} ms (median of ${s.runs})`;
