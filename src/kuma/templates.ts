import type { ContainerTemplates } from "./model.js";
import { KUMA_2_14 } from "./versions/v2-14.js";

// The containers Kuma 2.14 renders for a Helm install with default values, before ContainerPatches.
// Per-version models and settings: src/kuma/versions/ (kumaModelFor, InjectorSettings).

/** Kuma 2.14's rendered containers for the Helm chart's defaults; deep-frozen. */
export const KUMA_TEMPLATES: ContainerTemplates = KUMA_2_14.templates(KUMA_2_14.helmDefaults);

/** The container names Kuma injects; rules on app containers skip them. */
export const KUMA_CONTAINER_NAMES: ReadonlySet<string> = new Set(["kuma-sidecar", "kuma-init", "kuma-validation"]);
