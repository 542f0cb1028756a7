// Waiting for asynchronous effects (file watches, watch streams) without timing assertions.
import { setTimeout as sleep } from "node:timers/promises";

/** Resolves once `predicate` holds; rejects with `what` after a generous timeout. Polls every 10 ms. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, what = "condition", timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}
