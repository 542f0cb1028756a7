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
  /** The first item with leading or trailing whitespace, which Kuma keeps as written (messages show one). */
  firstPadded?: ListItem;
}

const PADDED = /^\s|\s$/;

/**
 * Kuma's GetList: split on `,`, drop items that are exactly "", no trimming. Total: every
 * string is a list. One pass, one string per item and nothing else per item: a 256 KiB
 * annotation holds ~128,000 items. Kuma: pkg/plugins/runtime/k8s/metadata/annotations.go::GetList.
 */
export function parseList(value: string): Parsed<KumaList> {
  const items: string[] = [];
  let dropped = 0;
  let firstPadded: ListItem | undefined;
  const texts = value.split(",");
  for (let index = 0; index < texts.length; index++) {
    const text = texts[index]!;
    if (text === "") {
      dropped++;
      continue;
    }
    items.push(text);
    if (firstPadded === undefined && PADDED.test(text)) firstPadded = { index, text };
  }
  return parsed(firstPadded === undefined ? { items, dropped } : { items, dropped, firstPadded });
}

/** Whether GetList drops an empty item of `value` (`a,,b`, a leading or trailing `,`, or ""), without splitting it. */
export function hasEmptyItems(value: string): boolean {
  return value === "" || value.startsWith(",") || value.endsWith(",") || value.includes(",,");
}

/** The items a user meant: trimmed, empty ones removed; reading stops after `limit` of them. */
export function trimmedItems(value: string, limit = Number.POSITIVE_INFINITY): string[] {
  const items: string[] = [];
  for (let start = 0; start <= value.length && items.length < limit; ) {
    const comma = value.indexOf(",", start);
    const end = comma === -1 ? value.length : comma;
    const item = value.slice(start, end).trim();
    if (item !== "") items.push(item);
    start = end + 1;
  }
  return items;
}

/** The value Kuma would read as intended: items trimmed, empty ones removed. */
export function toTrimmedList(value: string): string {
  // Without whitespace nothing needs trimming: dropping empty items is collapsing commas, one
  // scan instead of a string per item.
  if (!/\s/.test(value)) return value.replace(/,{2,}/g, ",").replace(/^,|,$/g, "");
  return trimmedItems(value).join(",");
}
