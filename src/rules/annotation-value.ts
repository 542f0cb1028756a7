import * as K from "../kuma/annotations.js";
import { quote } from "../kuma/annotations.js";
import { fitMessage } from "../kuma/message.js";
import { asRecord } from "../kuma/model.js";
import { BOOLEAN_WORDS, ENABLED_WORDS, parseBoolean, parseEnabled } from "../kuma/parsers/boolean.js";
import { parseDuration } from "../kuma/parsers/duration.js";
import { ENVOY_LOG_LEVELS, IP_FAMILY_MODES, parseComponentLogLevels, parseEnum } from "../kuma/parsers/enum.js";
import { MAP_FORMAT, parseMap } from "../kuma/parsers/map.js";
import { parseUint32 } from "../kuma/parsers/uint32.js";
import type { KumaModel } from "../kuma/versions/index.js";
import { advisory, error } from "./types.js";
import type { Labels, Rule, RuleCodes, RuleFinding, WorkloadSubject } from "./types.js";

// The typed kuma annotations not covered by a dedicated rule, read the way Kuma reads them.
// Kuma: pkg/plugins/runtime/k8s/metadata/annotations.go (GetEnabled, GetBoolean,
// GetUint32, GetMap, GetDurationWithDefault), webhooks/injector/injector.go (NewAnnotations,
// service-account-token volume), controllers/pod_converter.go (ip family mode, gateway),
// controllers/ingress_converter.go (public address/port), probes/*.go.
// Per minor (src/kuma/versions/): which keys exist (k8s.kuma.io/spire-support from 2.13) and which
// are deprecated (prometheus.metrics.kuma.io/port|path and aggregate-* from 2.14).

/** How a value is checked; `port` = uint32 that Kuma later uses as a port (1–65535). */
type Kind =
  | "enabled"
  | "boolean"
  | "uint32"
  | "port"
  | "port-or-zero"
  | "map"
  | "duration"
  | "ip-family"
  | "log-level"
  | "component-log-level";

/** Kuma's injector/controller rejects or fails on these; injector-owned keys whose user
 *  values Kuma overwrites (sidecar-injected, sidecar-uid, tproxy ports) are not listed. */
const TYPED: ReadonlyMap<string, Kind> = new Map<string, Kind>([
  [K.WAIT_FOR_DATAPLANE_READY, "enabled"],
  [K.VIRTUAL_PROBES, "enabled"],
  [K.BUILTIN_DNS, "enabled"],
  [K.BUILTIN_DNS_LOGGING, "enabled"],
  [K.INIT_FIRST, "enabled"],
  [K.TRANSPARENT_PROXYING_EBPF, "enabled"],
  [K.SPIRE_SUPPORT, "enabled"],
  [K.INGRESS, "enabled"],
  [K.EGRESS, "enabled"],
  [K.TRAFFIC_DROP_INVALID_PACKETS, "boolean"],
  [K.TRAFFIC_IPTABLES_LOGS, "boolean"],
  [K.SIDECAR_PROXY_CONCURRENCY, "uint32"],
  [K.ENVOY_ADMIN_PORT, "port"],
  [K.VIRTUAL_PROBES_PORT, "port"],
  [K.BUILTIN_DNS_PORT, "port"],
  [K.INGRESS_PUBLIC_PORT, "port"],
  [K.PROMETHEUS_PORT, "port"],
  [K.APPLICATION_PROBE_PROXY_PORT, "port-or-zero"],
  [K.SIDECAR_ENV_VARS, "map"],
  [K.SIDECAR_DRAIN_TIME, "duration"],
  [K.TRANSPARENT_PROXYING_IP_FAMILY_MODE, "ip-family"],
  [K.ENVOY_LOG_LEVEL, "log-level"],
  [K.ENVOY_COMPONENT_LOG_LEVEL, "component-log-level"],
]);

const CODES = {
  "invalid-enabled": {
    when: "a key Kuma reads with GetEnabled holds another word than enabled/disabled/true/false (case-sensitive): Kuma rejects the pod",
    params: { key: "the annotation key", value: "its value" },
  },
  "invalid-boolean": {
    when: "a key Kuma reads with GetBoolean holds another word than true/false (case-sensitive)",
    params: { key: "the annotation key", value: "its value" },
  },
  "invalid-uint32": {
    when: "a count is not a non-negative 32-bit integer: Kuma rejects the pod",
    params: { key: "the annotation key", value: "its value" },
  },
  "invalid-port": { when: "a port is not a number: Kuma rejects the pod", params: { key: "the annotation key", value: "its value" } },
  "port-out-of-range": {
    when: "a port is a number but not 1-65535 (0 only where it disables the feature): the probe, listener or iptables rule fails",
    params: { key: "the annotation key", value: "its value" },
  },
  "invalid-map": {
    when: "kuma.io/sidecar-env-vars is not NAME=value pairs joined by `;`: Kuma rejects the pod",
    params: { key: "the annotation key", value: "its value" },
  },
  "map-empty-name": {
    when: "kuma.io/sidecar-env-vars has a pair without a name: Kubernetes rejects the injected pod",
    params: { key: "the annotation key", value: "its value" },
  },
  "invalid-duration": {
    when: "a duration is not a Go duration (30s, 1m30s): Kuma rejects the pod",
    params: { key: "the annotation key", value: "its value" },
  },
  "invalid-ip-family": {
    when: "the ip family mode is not dualstack or ipv4: Kuma generates no Dataplane",
    params: { key: "the annotation key", value: "its value" },
  },
  "invalid-log-level": {
    when: "the Envoy log level is not one Envoy knows: the sidecar fails to start",
    params: { key: "the annotation key", value: "its value" },
  },
  "invalid-component-log-level": {
    when: "the Envoy component log levels are not component:level pairs Envoy knows: the sidecar fails to start",
    params: { key: "the annotation key", value: "its value" },
  },
  "gateway-provided": {
    when: 'kuma.io/gateway is "provided", which marks pods of Kuma\'s builtin gateway: on an injected pod injection fails',
  },
  "invalid-gateway": {
    when: "kuma.io/gateway holds another value than enabled: Kuma generates no Dataplane",
    params: { value: "its value" },
  },
  "gateway-virtual-probes": { when: "virtual probes are enabled on a delegated gateway, which Kuma refuses" },
  "gateway-probe-proxy": { when: "the application probe proxy is enabled on a delegated gateway, which Kuma refuses" },
  "missing-token-volume": {
    when: "kuma.io/service-account-token-volume names no volume of the pod: Kuma rejects the pod",
    params: { volume: "the volume name (first 63 characters)" },
  },
  "aggregate-enabled": {
    when: "prometheus.metrics.kuma.io/aggregate-<name>-enabled holds another word than Kuma's on/off words: Kuma generates no Dataplane",
    params: { key: "the annotation key", value: "its value" },
  },
  "aggregate-port": {
    when: "prometheus.metrics.kuma.io/aggregate-<name>-port is not a port: Kuma generates no Dataplane",
    params: { key: "the annotation key", value: "its value" },
  },
  "aggregate-no-port": {
    when: 'an enabled metrics aggregate (enabled is the default) has no -port: "port needs to be specified for metrics scraping", no Dataplane',
    params: { name: "the aggregate's name" },
  },
  deprecated: {
    when: "the annotation is deprecated in the Kuma minor judged against; the message names the replacement",
    params: { key: "the annotation key", version: "the Kuma minor" },
  },
  "ingress-public-half": {
    when: "only one of kuma.io/ingress-public-address and kuma.io/ingress-public-port is set: Kuma generates no Dataplane",
    params: { present: "the key that is set", missing: "the key to add" },
  },
} satisfies RuleCodes;
type Code = keyof typeof CODES;

export const annotationValue: Rule<WorkloadSubject, Code> = {
  id: "annotation-value",
  summary: "Typed kuma.io and traffic.kuma.io annotations hold values Kuma can parse",
  defaultAction: "deny",
  targets: ["workload"],
  codes: CODES,
  check(subject, ctx) {
    return checkAnnotationValues(subject, ctx.kuma);
  },
};

/** annotation-value's findings for one workload as the given Kuma minor reads it. */
export function checkAnnotationValues(subject: WorkloadSubject, kuma: KumaModel): RuleFinding<Code>[] {
  const annotations = subject.template.annotations;
  const at = (key: string) => K.annotationPath(subject.templatePath, key);
  const findings: RuleFinding<Code>[] = [];
  const keys = subject.template.annotationKeys;
  for (const key of keys) {
    const kind = TYPED.get(key);
    if (kind === undefined || !kuma.annotationKeys.has(key)) continue;
    const problem = checkValue(key, annotations[key]!, kind);
    // Parsers quote what they could not read, which may be most of a 256 KiB value: cut to what a warning shows.
    if (problem) findings.push(error(problem.code, fitMessage(problem.message), at(key), { key, value: annotations[key]! }));
  }
  findings.push(...checkGateway(annotations, at));
  findings.push(...checkTokenVolume(subject, at));
  const address = annotations[K.INGRESS_PUBLIC_ADDRESS];
  const port = annotations[K.INGRESS_PUBLIC_PORT];
  if ((address === undefined) !== (port === undefined)) {
    const missing = address === undefined ? K.INGRESS_PUBLIC_ADDRESS : K.INGRESS_PUBLIC_PORT;
    const present = address === undefined ? K.INGRESS_PUBLIC_PORT : K.INGRESS_PUBLIC_ADDRESS;
    findings.push(
      error(
        "ingress-public-half",
        `${present} without ${missing}: Kuma needs both ("both ... has to be defined") and generates no Dataplane; add ${missing}`,
        at(present),
        { present, missing },
      ),
    );
  }
  findings.push(...checkMetricsAggregates(annotations, keys, kuma, at));
  findings.push(...checkDeprecations(subject, keys, kuma, at));
  return findings;
}

/** The code and message for a value Kuma fails on (naming key, value, effect and fix); undefined when fine. */
function checkValue(key: string, value: string, kind: Kind): { code: Code; message: string } | undefined {
  const problem = (code: Code, message: string) => ({ code, message });
  switch (kind) {
    case "enabled": {
      const r = parseEnabled(value);
      return "error" in r
        ? problem(
            "invalid-enabled",
            `annotation "${key}" has wrong value ${quote(value)}; Kuma rejects the pod. Use ${ENABLED_WORDS} (case-sensitive)`,
          )
        : undefined;
    }
    case "boolean": {
      const r = parseBoolean(value);
      return "error" in r
        ? problem(
            "invalid-boolean",
            `${key} ${quote(value)}: Kuma reads it with GetBoolean: only ${BOOLEAN_WORDS} (case-sensitive); anything else is silently false or rejects the pod. Use "true" or "false"`,
          )
        : undefined;
    }
    case "uint32": {
      const r = parseUint32(value);
      return "error" in r
        ? problem("invalid-uint32", `failed to parse annotation "${key}": ${r.error}; Kuma rejects the pod. Use a non-negative integer`)
        : undefined;
    }
    case "port":
    case "port-or-zero": {
      const r = parseUint32(value);
      if ("error" in r)
        return problem("invalid-port", `failed to parse annotation "${key}": ${r.error}; Kuma rejects the pod. Use a port 1-65535`);
      if (r.value > 65535 || (r.value === 0 && kind === "port"))
        return problem(
          "port-out-of-range",
          `${key} ${quote(value)}: Kuma accepts it as a number but later needs a port 1-65535 (probe, listener or iptables rule fails)${kind === "port-or-zero" ? "; 0 disables it" : ""}`,
        );
      return undefined;
    }
    case "map": {
      const r = parseMap(value);
      if ("error" in r)
        return problem(
          "invalid-map",
          `invalid format. Map in "${key}" has to be provided in the following format: ${MAP_FORMAT} (got ${quote(value)}); Kuma rejects the pod`,
        );
      // Kuma copies each pair into the sidecar's env; the API server rejects an env var without a name.
      if (r.value.has(""))
        return problem(
          "map-empty-name",
          `${key} ${quote(value)} has a pair without a name; Kubernetes rejects the injected pod (env name required). Write NAME=value`,
        );
      return undefined;
    }
    case "duration": {
      const r = parseDuration(value);
      return "error" in r
        ? problem("invalid-duration", `${key}: ${r.error}; Kuma rejects the pod. Use a Go duration such as "30s" or "1m30s"`)
        : undefined;
    }
    case "ip-family": {
      const r = parseEnum(value, IP_FAMILY_MODES);
      return "error" in r
        ? problem(
            "invalid-ip-family",
            `${key}: invalid ip family mode ${quote(value)}: must be one of 'dualstack' or 'ipv4' (case-sensitive); Kuma generates no Dataplane`,
          )
        : undefined;
    }
    case "log-level": {
      const r = parseEnum(value, ENVOY_LOG_LEVELS);
      return "error" in r
        ? problem(
            "invalid-log-level",
            `${key} ${quote(value)} is not an Envoy log level, so the sidecar fails to start; use one of ${ENVOY_LOG_LEVELS.join("|")}`,
          )
        : undefined;
    }
    case "component-log-level": {
      const r = parseComponentLogLevels(value);
      return "error" in r
        ? problem(
            "invalid-component-log-level",
            `${key}: ${r.error}, so the sidecar fails to start; use component:level pairs joined by "," (e.g. "upstream:debug,connection:trace")`,
          )
        : undefined;
    }
  }
}

/** kuma.io/gateway: the pod controller accepts only `enabled` (delegated) and `provided`
 *  (pods of a Kuma-managed builtin gateway), else `invalid delegated gateway type`
 *  (controllers/pod_converter.go); the injector reads it with GetEnabled, so `provided`
 *  fails injection (probes/probe.go). With a gateway, virtual probes and the application
 *  probe proxy cannot be enabled (probes/probe.go, probes/pod_probe_overrider.go). */
function checkGateway(annotations: Labels, at: (key: string) => string): RuleFinding<Code>[] {
  const value = annotations[K.GATEWAY];
  if (value === undefined) return [];
  if (value === "provided") {
    return [
      advisory(
        "gateway-provided",
        `${K.GATEWAY} "provided" marks a pod Kuma's builtin gateway creates itself; on an injected pod injection fails. For a delegated gateway use "enabled"`,
        at(K.GATEWAY),
      ),
    ];
  }
  if (value !== "enabled") {
    return [
      error(
        "invalid-gateway",
        `invalid delegated gateway type ${quote(value)}: Kuma accepts only "enabled" for ${K.GATEWAY} and generates no Dataplane; use "enabled" or remove it`,
        at(K.GATEWAY),
        { value },
      ),
    ];
  }
  const findings: RuleFinding<Code>[] = [];
  const virtual = annotations[K.VIRTUAL_PROBES];
  const virtualParsed = virtual === undefined ? undefined : parseEnabled(virtual);
  if (virtualParsed && "value" in virtualParsed && virtualParsed.value.value) {
    findings.push(
      error(
        "gateway-virtual-probes",
        `virtual probes can't be enabled in gateway mode: remove ${K.VIRTUAL_PROBES} or set it to "disabled"`,
        at(K.VIRTUAL_PROBES),
      ),
    );
  }
  const probeProxy = annotations[K.APPLICATION_PROBE_PROXY_PORT];
  const probeParsed = probeProxy === undefined ? undefined : parseUint32(probeProxy);
  if (probeParsed && "value" in probeParsed && probeParsed.value > 0) {
    findings.push(
      error(
        "gateway-probe-proxy",
        `application probe proxies probes can't be enabled in gateway mode: set ${K.APPLICATION_PROBE_PROXY_PORT} to "0"`,
        at(K.APPLICATION_PROBE_PROXY_PORT),
      ),
    );
  }
  return findings;
}

/** kuma.io/service-account-token-volume must name a volume of the pod. Kuma: injector/injector.go. */
function checkTokenVolume(subject: WorkloadSubject, at: (key: string) => string): RuleFinding<Code>[] {
  const value = subject.template.annotations[K.SERVICE_ACCOUNT_TOKEN_VOLUME];
  if (value === undefined) return [];
  const volumes = Array.isArray(subject.template.spec.volumes) ? (subject.template.spec.volumes as unknown[]) : [];
  if (volumes.some((volume) => asRecord(volume).name === value)) return [];
  return [
    error(
      "missing-token-volume",
      `volume (${value.slice(0, 63)}) specified for ${K.SERVICE_ACCOUNT_TOKEN_VOLUME} but volume does not exist in pod spec; Kuma rejects the pod. Name one of spec.volumes`,
      at(K.SERVICE_ACCOUNT_TOKEN_VOLUME),
      { volume: value.slice(0, 63) },
    ),
  ];
}

/** The fixed start of prometheusAggregatePattern: a prefix test is cheaper than the pattern on every key. */
const AGGREGATE_PREFIX = "prometheus.metrics.kuma.io/aggregate-";

/** prometheus.metrics.kuma.io/aggregate-<name>-port|-path|-enabled as the pod controller reads them
 *  (controllers/pod_converter.go::MetricsAggregateFor, same in 2.11–2.14): `-enabled` with GetEnabled
 *  (default true), `-port` with GetUint32, an enabled aggregate without a port fails. Any failure
 *  means no Dataplane for the pod. An aggregate named only by `-address` is not one Kuma sees. */
function checkMetricsAggregates(
  annotations: Labels,
  keys: readonly string[],
  kuma: KumaModel,
  at: (key: string) => string,
): RuleFinding<Code>[] {
  const names = new Map<string, string>(); // aggregate name → first key naming it
  for (const key of keys) {
    if (!key.startsWith(AGGREGATE_PREFIX)) continue;
    const match = kuma.prometheusAggregatePattern.exec(key);
    if (match && !names.has(match[1]!)) names.set(match[1]!, key);
  }
  const findings: RuleFinding<Code>[] = [];
  for (const [name, firstKey] of names) {
    const enabledKey = `prometheus.metrics.kuma.io/aggregate-${name}-enabled`;
    const portKey = `prometheus.metrics.kuma.io/aggregate-${name}-port`;
    let enabled = true;
    const enabledValue = annotations[enabledKey];
    if (enabledValue !== undefined) {
      const r = parseEnabled(enabledValue);
      if ("error" in r) {
        findings.push(
          error(
            "aggregate-enabled",
            `annotation "${enabledKey}" has wrong value ${quote(enabledValue)}; Kuma generates no Dataplane. Use ${ENABLED_WORDS} (case-sensitive)`,
            at(enabledKey),
            {
              key: enabledKey,
              value: enabledValue,
            },
          ),
        );
        continue;
      }
      enabled = r.value.value;
    }
    const portValue = annotations[portKey];
    if (portValue !== undefined) {
      const problem = checkValue(portKey, portValue, "port");
      if (problem)
        findings.push(
          error("aggregate-port", problem.message.replace("Kuma rejects the pod", "Kuma generates no Dataplane"), at(portKey), {
            key: portKey,
            value: portValue,
          }),
        );
    } else if (enabled) {
      findings.push(
        error(
          "aggregate-no-port",
          `port needs to be specified for metrics scraping: aggregate ${quote(name)} is enabled but has no -port annotation; Kuma generates no Dataplane. Add its -port or set its -enabled to "false"`,
          at(firstKey),
          { name },
        ),
      );
    }
  }
  return findings;
}

/** Kuma's deprecation advisory with the replacement, for deprecated keys the user wrote: on an
 *  injected Pod the keys the injector wrote itself (kuma.io/virtual-probes…) are Kuma's, not the user's.
 *  Removed keys are annotation-unknown's and exclude-ports-for-uids-legacy's. */
function checkDeprecations(
  subject: WorkloadSubject,
  keys: readonly string[],
  kuma: KumaModel,
  at: (key: string) => string,
): RuleFinding<Code>[] {
  const annotations = subject.template.annotations;
  const injected = subject.kind === "Pod" && annotations[K.SIDECAR_INJECTED] === "true";
  const findings: RuleFinding<Code>[] = [];
  for (const key of keys) {
    const info = kuma.annotationKeys.get(key);
    if (info?.status !== "deprecated" || (injected && K.isInjectorOwned(key))) continue;
    const replacement = info.replacement && !info.message?.includes(info.replacement) ? `; use ${info.replacement}` : "";
    findings.push(
      advisory("deprecated", `deprecated in Kuma ${kuma.version}: ${info.message ?? key}${replacement}`, at(key), {
        key,
        version: kuma.version,
      }),
    );
  }
  const aggregateKey = kuma.aggregateDeprecation ? keys.find((key) => key.startsWith(AGGREGATE_PREFIX)) : undefined;
  if (aggregateKey)
    findings.push(
      advisory("deprecated", `deprecated in Kuma ${kuma.version}: ${kuma.aggregateDeprecation}`, at(aggregateKey), {
        key: aggregateKey,
        version: kuma.version,
      }),
    );
  return findings;
}
