/** What every parser returns: a value or a precise, user-facing error. Parsers never throw. */
export type Parsed<T> = { value: T } | { error: string };

export const parsed = <T>(value: T): Parsed<T> => ({ value });
export const failed = <T = never>(error: string): Parsed<T> => ({ error });
export const isParsed = <T>(result: Parsed<T>): result is { value: T } => "value" in result;
