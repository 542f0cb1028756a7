import type { ErrorObject } from "ajv";

// ajv's errors in the user's words: `spec.rules.patch-privilege.action: must be one of deny,
// warn, audit, off`. Field paths are written the way kubectl explain and our findings write them.

/** A policy that cannot be used; `problems` are complete lines (`<file>: <field>: <text>`). */
export class PolicyLoadError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "PolicyLoadError";
    this.problems = problems;
  }
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `/spec/exemptions/0/namespaces` → `spec.exemptions[0].namespaces`; "" for the root. */
export function toFieldPath(instancePath: string): string {
  if (instancePath === "") return "";
  return joinField(
    instancePath
      .slice(1)
      .split("/")
      .map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~")),
  );
}

/** Joins decoded tokens: numbers become indices, odd keys are quoted (`matchLabels["kuma.io/x"]`). */
export function joinField(tokens: readonly (string | number)[]): string {
  return tokens.reduce<string>((out, token) => appendField(out, token), "");
}

/** `field` followed by one more key or index. */
export function appendField(field: string, token: string | number): string {
  if (typeof token === "number" || /^(0|[1-9][0-9]*)$/.test(token)) return `${field}[${token}]`;
  if (PLAIN_KEY.test(token)) return field === "" ? token : `${field}.${token}`;
  return `${field}[${JSON.stringify(token)}]`;
}

/** Words for the patterns the policy schema uses. */
const PATTERN_WORDS: Readonly<Record<string, string>> = {
  "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$": "must be a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit)",
};

const TYPE_WORDS: Readonly<Record<string, string>> = {
  object: "a mapping",
  array: "a list",
  string: "a string",
  boolean: "true or false",
  integer: "a whole number",
  number: "a number",
  null: "null",
};

/** One ajv error as `<field>: <text>` (the field is omitted at the root). */
export function describeAjvError(error: ErrorObject, options: { ruleIds?: readonly string[] } = {}): string {
  const params = error.params as Record<string, unknown>;
  let field = toFieldPath(error.instancePath);
  let text: string;
  switch (error.keyword) {
    case "enum": {
      const allowed = (params.allowedValues as unknown[]).map(String);
      if (error.propertyName !== undefined) field = appendField(field, error.propertyName);
      if (error.propertyName !== undefined && options.ruleIds) {
        // propertyNames of spec.rules: an unknown rule id
        const near = nearest(error.propertyName, options.ruleIds);
        text = `unknown rule id${near ? ` (did you mean ${near}?)` : ""}; the built-in rules are listed in docs/rules.md`;
      } else if (error.propertyName !== undefined) text = `is not an allowed key (one of ${allowed.join(", ")})`;
      else text = `must be one of ${allowed.join(", ")}`;
      break;
    }
    case "const":
      text = `must be ${String(params.allowedValue)}`;
      break;
    case "additionalProperties":
      field = appendField(field, String(params.additionalProperty));
      text = "unknown field";
      break;
    case "required":
      field = appendField(field, String(params.missingProperty));
      text = "is required";
      break;
    case "type": {
      const types = String(params.type).split(",");
      text = `must be ${types.map((t) => TYPE_WORDS[t] ?? t).join(" or ")}`;
      break;
    }
    case "pattern":
      text = PATTERN_WORDS[String(params.pattern)] ?? `must match ${String(params.pattern)}`;
      break;
    case "minItems":
      text = params.limit === 1 ? "must not be empty" : `must have at least ${String(params.limit)} items`;
      break;
    case "minLength":
      text = params.limit === 1 ? "must not be empty" : `must be at least ${String(params.limit)} characters long`;
      break;
    case "maxLength":
      text = `must be at most ${String(params.limit)} characters long`;
      break;
    case "uniqueItems":
      text = `must not repeat an item (items ${String(params.j)} and ${String(params.i)} are equal)`;
      break;
    case "not":
      text = "is not allowed";
      break;
    default:
      text = error.message ?? `fails ${error.keyword}`;
  }
  return field === "" ? text : `${field}: ${text}`;
}

/** The ajv errors worth showing: wrapper errors (propertyNames, $ref chains) that repeat a detailed one are dropped. */
export function describeAjvErrors(errors: readonly ErrorObject[], options: { ruleIds?: readonly string[] } = {}): string[] {
  const lines = errors.filter((e) => e.keyword !== "propertyNames").map((e) => describeAjvError(e, options));
  return [...new Set(lines)];
}

/** The closest candidate within a small edit distance, for did-you-mean hints. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 4)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
