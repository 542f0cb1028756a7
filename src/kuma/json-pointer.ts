import { failed, parsed } from "./parse-result.js";
import type { Parsed } from "./parse-result.js";

// JSON Pointers (RFC 6901) as written in ContainerPatch `path`/`from`, and as Kuma's
// patch library (evanphx/json-patch v5, patch.go findObject/decodePatchKey) reads them.

/** The reference tokens of an RFC 6901 pointer ("" = the whole document); an error says what breaks the grammar. */
export function parsePointer(text: string): Parsed<readonly string[]> {
  if (text === "") return parsed([]);
  if (!text.startsWith("/")) {
    const guess = "/" + text.replace(/^\.+/, "").replace(/\./g, "/");
    return failed(guess.length <= 60 ? `must start with "/" (a JSON Pointer, e.g. "${guess}")` : `must start with "/" (a JSON Pointer)`);
  }
  const tokens = text.slice(1).split("/");
  for (const token of tokens) {
    const bad = /~(?![01])/.exec(token);
    if (bad) return failed(`"~" must be followed by 0 or 1 (write ~0 for "~" and ~1 for "/")`);
  }
  return parsed(tokens.map(unescapeToken));
}

/** The pointer for these tokens, escaping "~" and "/". */
export function formatPointer(tokens: readonly string[]): string {
  return tokens.map((token) => "/" + escapeToken(token)).join("");
}

/** One reference token escaped for a pointer ("~" → "~0", "/" → "~1"). */
export function escapeToken(token: string): string {
  if (!token.includes("~") && !token.includes("/")) return token;
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** One reference token unescaped, "~1" before "~0" as RFC 6901 section 4 requires. */
export function unescapeToken(token: string): string {
  if (!token.includes("~")) return token;
  return token.replace(/~1/g, "/").replace(/~0/g, "~");
}

export function toLibraryTokens(path: string): readonly string[] {
  if (path === "") return [];
  return path.split("/").slice(1).map(unescapeToken);
}

/** Go's strconv.Atoi on a token (sign, decimal digits, int64 range), or undefined. */
export function toArrayIndex(token: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(token)) return undefined;
  const value = Number(token);
  return Number.isSafeInteger(value) ? value : undefined;
}
