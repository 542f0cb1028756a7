import { quote } from "../message.js";
import { failed, parsed } from "../parse-result.js";
import type { Parsed } from "../parse-result.js";

/** Kuma's format message for GetMap, without the annotation key. */
export const MAP_FORMAT = "key1=value1;key2=value2";

/**
 * Kuma's GetMap: split on `;`, each pair split on `=` must give exactly 2 parts (so `A=1;`
 * and `A=b=c` fail; so does an empty value, which is one empty pair). Later pairs win.
 * Kuma: pkg/plugins/runtime/k8s/metadata/annotations.go::GetMapWithDefault.
 */
export function parseMap(value: string): Parsed<Map<string, string>> {
  const map = new Map<string, string>();
  // By index, not by splitting each pair: a 256 KiB value holds ~30,000 pairs.
  for (const pair of value.split(";")) {
    const equals = pair.indexOf("=");
    if (equals === -1 || pair.includes("=", equals + 1)) return failed(`pair ${quote(pair)} is not key=value; the format is ${MAP_FORMAT}`);
    map.set(pair.slice(0, equals), pair.slice(equals + 1));
  }
  return parsed(map);
}
