import { createRequire } from "node:module";
import type { Logger } from "pino";
import type { Logger as MessageLogger } from "./watch.js";

export type { Logger };
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A JSON logger; `fd` 2 for `check`, whose stdout carries only the report. */
export function createLogger(level: string, fd: 1 | 2 = 1): Logger {
  // Loaded here, not with this module: `check` often logs nothing (see createLazyLogger).
  const { pino } = createRequire(import.meta.url)("pino") as typeof import("pino");
  return pino({ level, base: { service: "kuma-guard" }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd, sync: false }));
}

/** pino's level numbers, to drop a message below the level before pino is loaded. */
const LEVEL_VALUES: Readonly<Record<LogLevel, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

/**
 * A logger that calls `create` for the first message `level` lets through: `check` logs only
 * when a rule fails or, with --log-level info, audited findings, and a pre-commit hook should
 * not wait for pino (and its flush at exit) otherwise.
 */
export function createLazyLogger(level: LogLevel, create: () => MessageLogger): MessageLogger {
  let logger: MessageLogger | undefined;
  const at =
    (method: "debug" | "info" | "warn" | "error") =>
    (obj: object, msg?: string): void => {
      if (LEVEL_VALUES[method] < LEVEL_VALUES[level]) return;
      logger ??= create();
      if (msg === undefined) logger[method](obj);
      else logger[method](obj, msg);
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
