// `serve`'s audit flags → what serve starts beside admission. Loaded lazily by cli.ts.
import type { Registry } from "prom-client";
import type { Logger } from "../logger.js";
import type { Policy } from "../policy/types.js";
import type { ControlPlaneFacts } from "../kuma/environment.js";
import { startAuditServices } from "./background.js";
import type { AuditServices } from "./background.js";
import { createKubeHttp, loadKubeConfig } from "./kube-http.js";
import { createPolicyReportWriter } from "./policy-reports.js";

export interface AuditFlags {
  patches?: string;
  kube?: boolean;
  auditInterval?: number;
  policyReports?: boolean;
}

/**
 * The factory serve calls with its metrics registry, or undefined without the Kubernetes API
 * (then patch-in-use is inactive: said once here). Same choice of source as the catalog:
 * --patches wins, else --kube, which defaults to on inside a cluster.
 */
export async function auditServices(
  flags: AuditFlags,
  context: { inCluster: boolean; logger: Logger; policy: () => Policy; version: string; controlPlane?: ControlPlaneFacts },
): Promise<((registry: Registry) => AuditServices) | undefined> {
  const { logger } = context;
  const kube = flags.patches === undefined && (flags.kube ?? context.inCluster);
  if (!kube) {
    logger.warn("patch-in-use is inactive: it needs --kube to know which workloads reference a ContainerPatch");
    if (flags.auditInterval !== undefined || flags.policyReports)
      logger.warn("--audit-interval and --policy-reports need --kube (and no --patches): no background audit");
    return undefined;
  }
  if (flags.policyReports && flags.auditInterval === undefined)
    logger.warn("--policy-reports needs --audit-interval: no PolicyReports are written");
  const http = createKubeHttp(await loadKubeConfig());
  const writer = flags.policyReports && flags.auditInterval !== undefined ? createPolicyReportWriter({ http, logger }) : undefined;
  return (registry) =>
    startAuditServices({
      http,
      logger,
      policy: context.policy,
      ...(context.controlPlane ? { controlPlane: context.controlPlane } : {}),
      version: context.version,
      registry,
      ...(flags.auditInterval !== undefined ? { intervalMs: flags.auditInterval } : {}),
      ...(writer ? { writeReports: (result) => writer.write(result) } : {}),
    });
}
