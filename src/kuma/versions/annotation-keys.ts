import * as K from "../annotations.js";
import type { AnnotationKeyInfo } from "./model.js";

// Pod annotation keys per minor, from pkg/plugins/runtime/k8s/metadata/annotations.go
// (constants and PodAnnotationDeprecations) of each tag. Deprecation messages are Kuma's own
// (NewDeprecation / NewReplaceByDeprecation), logged by webhooks/injector/precheck.go.

const CURRENT: AnnotationKeyInfo = Object.freeze({ status: "current" });

/** The keys every supported minor (2.11 and later) reads or writes, without deprecation markers. */
const COMMON_KEYS: readonly string[] = [...K.KNOWN_ANNOTATIONS].filter((key) => key !== K.SPIRE_SUPPORT);

/** The deprecations every supported minor logs (PodAnnotationDeprecations of v2.11.18, unchanged since). */
const COMMON_DEPRECATIONS: ReadonlyArray<[string, AnnotationKeyInfo]> = [
  [
    "kuma.io/builtindns",
    {
      status: "removed",
      replacement: K.BUILTIN_DNS,
      message: `'kuma.io/builtindns' is no longer supported and it will be ignored, use '${K.BUILTIN_DNS}' instead`,
    },
  ],
  [
    "kuma.io/builtindnsport",
    {
      status: "removed",
      replacement: K.BUILTIN_DNS_PORT,
      message: `'kuma.io/builtindnsport' is no longer supported and it will be ignored, use '${K.BUILTIN_DNS_PORT}' instead`,
    },
  ],
  [
    K.VIRTUAL_PROBES,
    {
      status: "deprecated",
      replacement: K.APPLICATION_PROBE_PROXY_PORT,
      message: `'${K.VIRTUAL_PROBES}' will be removed in a future release`,
    },
  ],
  [
    K.VIRTUAL_PROBES_PORT,
    {
      status: "deprecated",
      replacement: K.APPLICATION_PROBE_PROXY_PORT,
      message: `'${K.VIRTUAL_PROBES_PORT}' is being replaced by: '${K.APPLICATION_PROBE_PROXY_PORT}'`,
    },
  ],
  // Removed in 2.9 (PR #10983) without a message: Kuma silently ignores them.
  [K.TRAFFIC_EXCLUDE_OUTBOUND_TCP_PORTS_FOR_UIDS, { status: "removed", replacement: K.TRAFFIC_EXCLUDE_OUTBOUND_PORTS_FOR_UIDS }],
  [K.TRAFFIC_EXCLUDE_OUTBOUND_UDP_PORTS_FOR_UIDS, { status: "removed", replacement: K.TRAFFIC_EXCLUDE_OUTBOUND_PORTS_FOR_UIDS }],
];

/** The key table of one minor: the common keys, `added` keys, then deprecations (later entries win). */
export function annotationKeyTable(
  added: readonly string[],
  deprecations: ReadonlyArray<[string, AnnotationKeyInfo]>,
): ReadonlyMap<string, AnnotationKeyInfo> {
  const table = new Map<string, AnnotationKeyInfo>();
  for (const key of [...COMMON_KEYS, ...added]) table.set(key, CURRENT);
  for (const [key, info] of [...COMMON_DEPRECATIONS, ...deprecations]) table.set(key, Object.freeze({ ...info }));
  return table;
}

/** Kuma's pattern for the aggregate-metrics keys (KumaMetricsPrometheusAggregatePattern, same in 2.11–2.14). */
export const PROMETHEUS_AGGREGATE_PATTERN = /^prometheus\.metrics\.kuma\.io\/aggregate-([a-zA-Z0-9-]+)-(port|path|enabled)$/;
