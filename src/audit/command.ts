// `kuma-guard audit`: the cluster as it is, judged by the webhook's rules; printed like `check`.
import { EXIT_DENIED, EXIT_OK, EXIT_USAGE } from "../report/model.js";
import type { Logger } from "../logger.js";
import type { Policy } from "../policy/types.js";
import type { ControlPlaneFacts } from "../kuma/environment.js";
import { formatReport } from "../report/index.js";
import type { Format } from "../report/index.js";
import { summarize } from "../report/model.js";
import { shouldColor } from "../report/text.js";
import type { KubeHttp } from "./kube-http.js";
import { runAudit } from "./run.js";
import type { AuditProgress, AuditResult } from "./run.js";

export interface AuditCommandOptions {
  format: Format;
  namespace?: string;
  selector?: string;
  pageSize?: number;
}

export interface AuditCommandDeps {
  policy: Policy;
  /** The Kuma judged against (--kuma-version, --kuma-config). */
  controlPlane?: ControlPlaneFacts;
  http: KubeHttp;
  logger: Logger;
  version: string;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  now?: () => number;
}

/** Progress lines are redrawn at most this often on a terminal. */
const PROGRESS_INTERVAL_MS = 250;

/** Runs the audit and prints its report. Exit codes as check: 1 when something is denied, 2 when the audit could not run. */
export async function runAuditCommand(options: AuditCommandOptions, deps: AuditCommandDeps): Promise<number> {
  const now = deps.now ?? Date.now;
  const started = now();
  const onTerminal = deps.stderr.isTTY === true;
  let drawn = 0;
  const onProgress = (p: AuditProgress): void => {
    const at = now();
    if (at - drawn < PROGRESS_INTERVAL_MS) return;
    drawn = at;
    const seconds = Math.max((at - started) / 1000, 0.001);
    deps.stderr.write(
      `\r\u001b[Kkuma-guard audit: ${p.kind}s… ${p.listed} objects listed, ${p.judged} judged (${Math.round(p.judged / seconds)}/s)`,
    );
  };
  let result: AuditResult;
  try {
    result = await runAudit(deps.http, deps.policy, deps.version, {
      ...(options.namespace ? { namespace: options.namespace } : {}),
      ...(options.selector ? { selector: options.selector } : {}),
      ...(options.pageSize ? { pageSize: options.pageSize } : {}),
      ...(onTerminal ? { onProgress } : {}),
      ...(deps.controlPlane ? { controlPlane: deps.controlPlane } : {}),
    });
  } catch (error) {
    if (onTerminal) deps.stderr.write("\r\u001b[K");
    deps.stderr.write(`kuma-guard audit: ${deps.http.server}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_USAGE;
  }
  if (onTerminal) deps.stderr.write("\r\u001b[K");
  for (const failure of result.failures)
    deps.logger.error({ err: failure.error, ruleId: failure.ruleId, object: failure.object }, `rule ${failure.ruleId} failed`);

  let out = await formatReport(result.report, options.format, { color: shouldColor(deps.stdout.isTTY, deps.env) });
  // The text summary counts report objects; an audit keeps only those with findings.
  if (options.format === "text") out = out.replace(/[^\n]*\n$/, `${auditSummary(result, (now() - started) / 1000)}\n`);
  deps.stdout.write(out);
  if (options.format !== "text") deps.stderr.write(`kuma-guard audit: ${auditSummary(result, (now() - started) / 1000)}\n`);
  return summarize(result.report).denied > 0 ? EXIT_DENIED : EXIT_OK;
}

/** "4,210 objects audited (…) in 3.2 s: 2 denied, 1 warning, 0 audited; 14 Pods share their controller's findings". */
export function auditSummary(result: AuditResult, seconds: number): string {
  const total = Object.values(result.judged).reduce((a, b) => a + b, 0);
  const byKind = Object.entries(result.judged)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${count} ${kind}${count === 1 ? "" : "s"}`)
    .join(", ");
  const { denied, warned, audited } = summarize(result.report);
  const parts = [
    `${total} object${total === 1 ? "" : "s"} audited${byKind ? ` (${byKind})` : ""} in ${seconds.toFixed(1)} s: ${denied} denied, ${warned} warning${warned === 1 ? "" : "s"}, ${audited} audited`,
  ];
  if (result.sharedPods > 0)
    parts.push(
      `${result.sharedPods} Pod${result.sharedPods === 1 ? "" : "s"} share their controller's findings (reported once, on the controller)`,
    );
  if (result.unreported > 0) parts.push(`${result.unreported} more objects with findings not listed (report size bound)`);
  return parts.join("; ");
}

/** The CLI's entry: loads the policy and the kubeconfig, then runs the audit on the process's streams. */
export async function runAuditFromCli(
  options: {
    policy?: string;
    format: Format;
    namespace?: string;
    selector?: string;
    pageSize?: number;
    kumaVersion?: string;
    kumaConfig?: string;
  },
  logger: Logger,
): Promise<number> {
  const { loadCheckPolicy } = await import("../check.js");
  const { createKubeHttp, loadKubeConfig } = await import("./kube-http.js");
  const { VERSION } = await import("../version.js");
  const { controlPlaneFactsOf } = await import("../model.js");
  let policy: Policy;
  let http: KubeHttp;
  let controlPlane: ControlPlaneFacts;
  try {
    policy = await loadCheckPolicy(options.policy);
    controlPlane = await controlPlaneFactsOf(options);
    http = createKubeHttp(await loadKubeConfig());
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    for (const line of message.split("\n")) process.stderr.write(`kuma-guard audit: ${line}\n`);
    return EXIT_USAGE;
  }
  return runAuditCommand(options, {
    policy,
    controlPlane,
    http,
    logger,
    version: VERSION,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
}
