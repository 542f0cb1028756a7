import { failed, parsed } from "../parse-result.js";
import type { Parsed } from "../parse-result.js";

/** A boolean as Kuma read it, and whether the word was the deprecated yes/no. */
export interface KumaBoolean {
  value: boolean;
  deprecated: boolean;
}

const TRUE_WORDS: ReadonlySet<string> = new Set(["true", "yes"]);
const FALSE_WORDS: ReadonlySet<string> = new Set(["false", "no"]);

/** Words GetEnabled accepts, for messages. */
export const ENABLED_WORDS = "enabled|true|yes|disabled|false|no";
/** Words GetBoolean accepts, for messages. */
export const BOOLEAN_WORDS = "true|false|yes|no";

/**
 * Kuma's GetEnabled: exact, case-sensitive `enabled|true|yes` / `disabled|false|no`; yes/no
 * are deprecated. Kuma: pkg/plugins/runtime/k8s/metadata/annotations.go::GetBooleanWithDefault,
 * injector/precheck.go::logYesNoDeprecations.
 */
export function parseEnabled(value: string): Parsed<KumaBoolean> {
  if (value === "enabled") return parsed({ value: true, deprecated: false });
  if (value === "disabled") return parsed({ value: false, deprecated: false });
  return parseBoolean(value, ENABLED_WORDS);
}

/** Kuma's GetBoolean: like parseEnabled but `enabled`/`disabled` are rejected. */
export function parseBoolean(value: string, accepted: string = BOOLEAN_WORDS): Parsed<KumaBoolean> {
  if (TRUE_WORDS.has(value)) return parsed({ value: true, deprecated: value === "yes" });
  if (FALSE_WORDS.has(value)) return parsed({ value: false, deprecated: value === "no" });
  return failed(`wrong value ${JSON.stringify(value)} (Kuma accepts exactly ${accepted}, case-sensitive)`);
}
