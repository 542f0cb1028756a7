// A pino-compatible logger that records what it is given, for assertions on logged problems.
export interface LogEntry {
  level: "debug" | "info" | "warn" | "error";
  obj: object;
  msg: string | undefined;
}

export function createMemoryLogger(): { entries: LogEntry[]; messages(level?: LogEntry["level"]): string[] } & Record<
  LogEntry["level"],
  (obj: object, msg?: string) => void
> {
  const entries: LogEntry[] = [];
  const at = (level: LogEntry["level"]) => (obj: object, msg?: string) => void entries.push({ level, obj, msg });
  return {
    entries,
    messages: (level) => entries.filter((e) => level === undefined || e.level === level).map((e) => e.msg ?? ""),
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
}
