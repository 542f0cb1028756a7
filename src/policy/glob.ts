// Shell-style globs for exemption names and namespace patterns: `*` matches any run of
// characters (also none), `?` exactly one; everything else is literal. Compiled once per
// policy load.

/** The anchored RegExp for a glob. */
export function compileGlob(glob: string): RegExp {
  let source = "";
  for (const char of glob) {
    if (char === "*") source += ".*";
    else if (char === "?") source += ".";
    else source += char.replace(/[\\^$.+()[\]{}|/-]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "s");
}

/** A predicate matching any of the globs (plain loops: it runs per request). */
export function compileGlobs(globs: readonly string[]): (value: string) => boolean {
  const regexps = globs.map(compileGlob);
  return (value) => {
    for (const re of regexps) if (re.test(value)) return true;
    return false;
  };
}
