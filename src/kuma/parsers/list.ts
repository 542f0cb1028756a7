import { parsed } from "../parse-result.js";
import type { Parsed } from "../parse-result.js";

/** An item of a comma list as Kuma keeps it (`index` counts the items written, empty ones too). */
export interface ListItem {
  index: number;
  text: string;
}

/** What GetList makes of a value, plus what it silently drops. */
export interface KumaList {
  /** The items Kuma uses: not trimmed, exactly-empty ones dropped. */
  items: string[];
  /** How many exactly-empty items Kuma dropped (`a,,b`, trailing `,`). */
  dropped: number;
  /** Items with leading or trailing whitespace, which Kuma keeps as written. */
  padded: ListItem[];
}

const PADDED = /^\s|\s$/;

/**
 * Kuma's GetList: split on `,`, drop items that are exactly "", no trimming. Total: every
 * string is a list. Kuma: pkg/plugins/runtime/k8s/metadata/annotations.go::GetList.
 */
export function parseList(value: string): Parsed<KumaList> {
  const items: string[] = [];
  const padded: ListItem[] = [];
  let dropped = 0;
  value.split(",").forEach((text, index) => {
    if (text === "") {
      dropped++;
      return;
    }
    items.push(text);
    if (PADDED.test(text)) padded.push({ index, text });
  });
  return parsed({ items, dropped, padded });
}

/** The items a user meant: trimmed, empty ones removed. */
export function trimmedItems(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** The value Kuma would read as intended: items trimmed, empty ones removed. */
export function toTrimmedList(value: string): string {
  return trimmedItems(value).join(",");
}
