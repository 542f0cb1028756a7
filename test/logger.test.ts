import { test } from "node:test";
import assert from "node:assert/strict";
import { createLazyLogger } from "../src/logger.js";
import type { LogLevel } from "../src/logger.js";

// check's logger makes pino only for a message that will be written: most runs log nothing.

function recording(level: LogLevel) {
  const written: string[] = [];
  let created = 0;
  const logger = createLazyLogger(level, () => {
    created++;
    const write = (method: string) => (_obj: object, msg?: string) => void written.push(`${method} ${msg ?? ""}`);
    return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
  });
  return { logger, written, created: () => created };
}

test("messages below the level never create the logger", () => {
  const { logger, written, created } = recording("warn");
  logger.debug({}, "a");
  logger.info({}, "b");
  assert.equal(created(), 0);
  assert.deepEqual(written, []);
});

test("the first message at the level creates the logger once, and every later one reaches it", () => {
  const { logger, written, created } = recording("info");
  logger.debug({}, "dropped");
  logger.info({}, "audit");
  logger.error({});
  logger.warn({}, "again");
  assert.equal(created(), 1);
  assert.deepEqual(written, ["info audit", "error ", "warn again"]);
});

test("silent writes nothing, not even errors", () => {
  const { logger, created } = recording("silent");
  logger.error({}, "x");
  assert.equal(created(), 0);
});
