import { failed, parsed } from "../parse-result.js";
import type { Parsed } from "../parse-result.js";

/** transparent-proxying-ip-family-mode values (case-sensitive; ipv6 is rejected).
 *  Kuma: pkg/plugins/runtime/k8s/controllers/pod_converter.go, pkg/transparentproxy/config. */
export const IP_FAMILY_MODES = ["dualstack", "ipv4"] as const;
/** Envoy's log levels as Kuma documents them. Kuma: metadata/annotations.go (KumaEnvoyLogLevel). */
export const ENVOY_LOG_LEVELS = ["trace", "debug", "info", "warning", "warn", "error", "critical", "off"] as const;

/** The value when it is exactly one of `allowed` (case-sensitive), else an error listing them. */
export function parseEnum<T extends string>(value: string, allowed: readonly T[]): Parsed<T> {
  return (allowed as readonly string[]).includes(value)
    ? parsed(value as T)
    : failed(`${JSON.stringify(value)} is not one of ${allowed.join("|")}`);
}

const COMPONENT_LEVEL = /^([a-z0-9_]+):([a-z]+)$/;

/**
 * kuma.io/envoy-component-log-level: Envoy's `--component-log-level` syntax,
 * `component:level` pairs joined by `,` (e.g. `upstream:debug,connection:trace`).
 */
export function parseComponentLogLevels(value: string): Parsed<Map<string, string>> {
  const levels = new Map<string, string>();
  for (const pair of value.split(",")) {
    const match = COMPONENT_LEVEL.exec(pair);
    if (!match) return failed(`${JSON.stringify(pair)} is not component:level`);
    const level = parseEnum(match[2] as string, ENVOY_LOG_LEVELS);
    if ("error" in level) return failed(`${JSON.stringify(pair)}: level ${level.error}`);
    levels.set(match[1] as string, level.value);
  }
  return parsed(levels);
}
