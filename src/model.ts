// `kuma-guard model` and GET /debug/model: the Kuma a review judges against, as an operator
// needs to see it — version and where it came from, the injector settings' sources, the
// default patches, and the containers patches apply to.
import { readFile } from "node:fs/promises";
import { resolveKumaEnvironment } from "./kuma/environment.js";
import type { ControlPlaneFacts } from "./kuma/environment.js";
import type { Policy } from "./policy/types.js";
import { kumaFor } from "./snapshot.js";

/** --kuma-version and --kuma-config as control-plane facts; rejects with a message naming the flag. */
export async function controlPlaneFactsOf(options: { kumaVersion?: string; kumaConfig?: string }): Promise<ControlPlaneFacts> {
  const facts: ControlPlaneFacts = {};
  if (options.kumaVersion !== undefined) facts.version = { value: options.kumaVersion, source: "--kuma-version" };
  if (options.kumaConfig !== undefined) {
    const text = await readFile(options.kumaConfig, "utf8").catch((error: unknown) => {
      throw new Error(`--kuma-config ${options.kumaConfig}: cannot be read: ${error instanceof Error ? error.message : String(error)}`);
    });
    facts.config = { text, source: `--kuma-config ${options.kumaConfig}` };
  }
  // Checked once here, so a review never meets a version or config that does not resolve.
  const resolved = resolveKumaEnvironment(facts);
  if ("error" in resolved) throw new Error(resolved.error);
  return facts;
}

/**
 * With --kube: the control plane's own facts (its image's version, KUMA_* variables and
 * config.yaml), under what the flags say (--kuma-version, --kuma-config win). What cannot be
 * read is logged; a version or config that does not resolve is an error naming the fix.
 */
export async function clusterControlPlaneFacts(
  namespace: string,
  flags: ControlPlaneFacts,
  logger: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void },
): Promise<ControlPlaneFacts> {
  const [{ createKubeHttp, loadKubeConfig }, { readControlPlane }] = await Promise.all([
    import("./audit/kube-http.js"),
    import("./catalog/control-plane.js"),
  ]);
  const { facts, problems } = await readControlPlane(createKubeHttp(await loadKubeConfig()), namespace);
  for (const problem of problems)
    logger.warn(
      { namespace },
      `control plane: ${problem}; judging against ${flags.version?.value ?? "the default Kuma"} where it is silent`,
    );
  const merged: ControlPlaneFacts = { ...facts, ...flags };
  const resolved = resolveKumaEnvironment(merged);
  if ("error" in resolved) throw new Error(`${resolved.error} (set --kuma-version to judge against a supported minor)`);
  logger.info(
    { version: resolved.value.model.version, from: resolved.value.versionSource, settings: resolved.value.settingsSources },
    "judging against the control plane's Kuma",
  );
  return merged;
}

/** What `model` prints: the Kuma judged against under `policy`. */
export function describeModel(policy: Policy, facts: ControlPlaneFacts) {
  const { environment, settings, templates } = kumaFor(policy, facts);
  return {
    kuma: { version: environment.model.version, tag: environment.model.tag, source: environment.versionSource },
    settingsFrom: environment.settingsSources.length > 0 ? environment.settingsSources : ["the Helm chart's defaults"],
    warnings: environment.warnings,
    controlPlaneNamespaces: settings.controlPlaneNamespaces,
    defaultContainerPatches: {
      names: settings.defaultContainerPatches,
      from: policy.overridesDefaultPatches === false ? "control plane" : `policy ${policy.source}`,
    },
    containers: { "kuma-sidecar": templates.sidecar, [String(templates.init.name ?? "kuma-init")]: templates.init },
  };
}
