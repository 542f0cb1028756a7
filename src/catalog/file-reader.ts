// Reads catalog files in a worker thread with a deadline and a memory cap: the yaml library
// takes time quadratic in a document's nesting and ~30 bytes of heap per byte of YAML, so a
// file that fits the size limit could still stall the event loop for seconds or push the pod
// over its memory limit. A file that overruns either is skipped; the next file gets a fresh worker.
// A small file is read on the event loop instead (INLINE_READ_BYTES says why).
import { readFile, stat } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import { catalogFileOf } from "./read-file.js";
import type { FileReading } from "./read-file.js";

/**
 * Time one file may take. A 3 MiB (MAX_MANIFEST_FILE_BYTES) file of ordinary ContainerPatches
 * reads in well under a second here; ten times that is a pathological file.
 */
export const READ_DEADLINE_MS = 10_000;
/**
 * Old-generation heap of the worker. A 3 MiB YAML file peaks near 100 MB of nodes; the server's
 * own heap is capped at 160 MB by the Deployment's NODE_OPTIONS, and both fit the pod's 256Mi
 * only if the worker stays near this.
 */
export const READ_HEAP_MB = 96;
/**
 * Files up to this size are read without the worker. The depth limit bounds the parser's
 * quadratic cost, so one takes tens of ms at most here (~100 KB of heap); a worker costs ~10 MB of
 * RSS (Node 24 keeps its heap pages for 8 s after it ends, malloc keeps the rest), which a
 * catalog of ordinary 1 KB ContainerPatches would pay on every start and reload.
 */
export const INLINE_READ_BYTES = 4 * 1024;

export interface FileReader {
  read(path: string, defaultNamespace: string): Promise<FileReading>;
  /** Ends the worker (it is started again on the next read). */
  close(): Promise<void>;
}

export function createFileReader(options: { deadlineMs?: number; heapMb?: number } = {}): FileReader {
  const deadlineMs = options.deadlineMs ?? READ_DEADLINE_MS;
  type Running = { thread: Worker; pending: Map<number, (reading: FileReading) => void> };
  let worker: Running | undefined;
  let nextId = 0;

  const start = (): Running => {
    const pending = new Map<number, (reading: FileReading) => void>();
    const started = new Worker(new URL("./parse-worker.js", import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: options.heapMb ?? READ_HEAP_MB, maxYoungGenerationSizeMb: 16 },
    });
    started.unref();
    started.on("message", (answer: { id: number; reading: FileReading }) => {
      pending.get(answer.id)?.(answer.reading);
      pending.delete(answer.id);
    });
    const running = { thread: started, pending };
    const fail = (reading: FileReading): void => {
      if (worker === running) worker = undefined;
      for (const settle of pending.values()) settle(reading);
      pending.clear();
    };
    started.on("error", (e) =>
      fail(
        (e as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY"
          ? { skipped: "too_large", message: `reading it needs more than ${options.heapMb ?? READ_HEAP_MB} MB` }
          : { skipped: "unreadable", message: `the reader failed: ${e.message}` },
      ),
    );
    started.on("exit", () => fail({ skipped: "unreadable", message: "the reader stopped" }));
    return running;
  };

  const inWorker = (path: string, defaultNamespace: string): Promise<FileReading> => {
    const current = (worker ??= start());
    const id = nextId++;
    return new Promise<FileReading>((resolve) => {
      const timer = setTimeout(() => {
        current.pending.delete(id);
        if (worker === current) worker = undefined;
        void current.thread.terminate();
        resolve({ skipped: "too_slow", message: `not read within ${deadlineMs} ms` });
      }, deadlineMs);
      current.pending.set(id, (reading) => {
        clearTimeout(timer);
        resolve(reading);
      });
      current.thread.postMessage({ id, path, defaultNamespace });
    });
  };

  return {
    async read(path, defaultNamespace) {
      const small = await smallFileText(path);
      return small === undefined ? inWorker(path, defaultNamespace) : catalogFileOf(small, path, defaultNamespace);
    },
    async close() {
      const current = worker;
      worker = undefined;
      await current?.thread.terminate();
    },
  };
}

/** The text of a file of at most INLINE_READ_BYTES; anything else (and an error, to be reported by the worker) is undefined. */
async function smallFileText(path: string): Promise<string | undefined> {
  try {
    if ((await stat(path)).size > INLINE_READ_BYTES) return undefined;
    const bytes = await readFile(path);
    return bytes.length > INLINE_READ_BYTES ? undefined : bytes.toString("utf8"); // it may have grown since
  } catch {
    return undefined;
  }
}
