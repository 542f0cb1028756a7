// How messages quote what the user wrote, and the one rule for shortening text.

/** Longest finding message: "<rule-id>: <message>" must stay near the API server's 256-character cut of a warning. */
export const MAX_MESSAGE = 230;

/** Longest user value a message quotes: enough to recognise it, short enough to leave room for the fix. */
const MAX_QUOTED = 48;
/** Longest piece of a patch (a value, a pointer) a message shows unquoted. */
const MAX_CLIPPED = 40;

/** `text` cut to `max` characters, the last one an ellipsis: the one truncation rule. */
export function shorten(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + "…";
}

/** A user's value as a message shows it: JSON-quoted, shortened. */
export function quote(value: string): string {
  return JSON.stringify(shorten(value, MAX_QUOTED));
}

/** A piece of user text shown as is (no quotes), shortened. */
export function clip(text: string): string {
  return shorten(text, MAX_CLIPPED);
}

/** `message` cut to MAX_MESSAGE, for messages that quote unbounded user text (paths, names). */
export function fitMessage(message: string): string {
  return shorten(message, MAX_MESSAGE);
}
