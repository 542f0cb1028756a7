import { pino } from "pino";
import type { Logger } from "pino";

export type { Logger };
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** A JSON logger; `fd` 2 for `check`, whose stdout carries only the report. */
export function createLogger(level: string, fd: 1 | 2 = 1): Logger {
  return pino({ level, base: { service: "kuma-guard" }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd, sync: false }));
}
