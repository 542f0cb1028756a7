// Which Kuma a review judges against: the minor (its annotations, grammars and rendered
// containers) and the control plane's injector settings (resources, UIDs, ports, default
// patches …), from what the policy, the command line and the control plane say.
import { injectorSettingsFromEnv, parseControlPlaneConfig } from "./control-plane-config.js";
import { DEFAULT_KUMA_VERSION, kumaModelFor } from "./versions/index.js";
import type { InjectorSettings, KumaModel } from "./versions/index.js";

/** What is known about the control plane, from the cluster or from files. */
export interface ControlPlaneFacts {
  /** The Kuma version it runs: --kuma-version, or the control-plane image's tag. */
  version?: { value: string; source: string };
  /** Its config.yaml (the kuma-control-plane-config ConfigMap, or --kuma-config FILE). */
  config?: { text: string; source: string };
  /** KUMA_* environment variables of the control-plane Deployment: they win over config.yaml, as in Kuma's loader. */
  env?: Readonly<Record<string, string>>;
}

/** The Kuma judged against. */
export interface KumaEnvironment {
  model: KumaModel;
  injector: InjectorSettings;
  /** Where the version came from: "policy", "--kuma-version", "image docker.io/kumahq/kuma-cp:2.13.4", "default". */
  versionSource: string;
  /** Where the injector settings came from (config file, env), empty for the Helm chart's defaults. */
  settingsSources: readonly string[];
  /** Disagreements worth a log line (the policy's version against the control plane's). */
  warnings: readonly string[];
}

/**
 * The Kuma of `facts`, with the policy's `spec.kuma.version` winning over the control plane's
 * (with a warning when they differ). An unknown or unsupported version is an error naming
 * the supported ones, never a silent fallback.
 */
export function resolveKumaEnvironment(facts: ControlPlaneFacts, policyVersion?: string): { value: KumaEnvironment } | { error: string } {
  const warnings: string[] = [];
  let chosen: { value: string; source: string } = facts.version ?? { value: DEFAULT_KUMA_VERSION, source: "default" };
  if (policyVersion !== undefined) {
    if (facts.version && minorOf(facts.version.value) !== minorOf(policyVersion)) {
      warnings.push(
        `the policy's spec.kuma.version ${policyVersion} wins over ${facts.version.value} (${facts.version.source}); reviews model Kuma ${policyVersion}`,
      );
    }
    chosen = { value: policyVersion, source: "policy" };
  }
  const model = kumaModelFor(chosen.value);
  if ("error" in model) return { error: `${chosen.source}: ${model.error}` };

  let injector = model.value.helmDefaults;
  const settingsSources: string[] = [];
  if (facts.config) {
    const parsed = parseControlPlaneConfig(facts.config.text, model.value, injector);
    if ("error" in parsed) return { error: `${facts.config.source}: ${parsed.error}` };
    injector = parsed.value;
    settingsSources.push(facts.config.source);
  }
  if (facts.env && Object.keys(facts.env).length > 0) {
    const parsed = injectorSettingsFromEnv(facts.env, injector);
    if ("error" in parsed) return { error: `control-plane environment: ${parsed.error}` };
    injector = parsed.value;
    settingsSources.push("control-plane environment");
  }
  return { value: { model: model.value, injector, versionSource: chosen.source, settingsSources, warnings } };
}

/** "2.13" of "v2.13.4", for comparing versions by minor. */
function minorOf(version: string): string {
  return /^v?(\d+\.\d+)/.exec(version.trim())?.[1] ?? version;
}
