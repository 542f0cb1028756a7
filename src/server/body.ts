// Reading a request body without letting one client hold another's work.
//
// Every body's bytes are reserved in one shared budget as they arrive (never by a declared
// Content-Length, which a client may not honour) and returned when its answer is written.
// A chunk that does not fit pauses its body until bytes come back, so the bodies held in
// memory at once stay near the budget. The oldest body still being read may always
// continue: bodies that each hold part of the budget and wait for more can never wait for
// one another forever. A slow client holds only the bytes it has sent, and only until
// the server's request deadline (serve.ts) closes its connection.
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";

/** Why a body could not be read, as the HTTP status the client gets. */
export type BodyError = { status: 400 | 413 | 415; message: string };
export type BodyOutcome = { text: string; release: () => void } | { error: BodyError };

export interface BodyBudget {
  /** Bytes reserved now (tests and debugging). */
  held(): number;
  /** Bodies paused until bytes come back. */
  waiting(): number;
}

interface Reader {
  /** Bytes this body holds in the budget. */
  held: number;
  /** The chunk that did not fit, kept until it does. */
  pending: Buffer | undefined;
  /** Takes the pending chunk and resumes the body. */
  admit: () => void;
}

/**
 * A byte semaphore in the manner of Gatekeeper's --max-serving-threads, counted in bytes:
 * `capacity` bounds the body bytes held at once (plus at most one body over it, the oldest).
 */
export function createBodyBudget(capacity: number) {
  let held = 0;
  /** Bodies still arriving, oldest first (a Set keeps insertion order). */
  const reading = new Set<Reader>();
  const waiting: Reader[] = [];

  const isOldest = (reader: Reader): boolean => reading.values().next().value === reader;
  const take = (reader: Reader, bytes: number): void => {
    held += bytes;
    reader.held += bytes;
  };
  const admitWaiting = (): void => {
    // First come, first served; the oldest body jumps the queue, so something always moves.
    // (An admitted body may end, be answered and release here again: the scan restarts.)
    let i = 0;
    while (i < waiting.length) {
      const reader = waiting[i]!;
      if ((i === 0 && held + reader.pending!.length <= capacity) || isOldest(reader)) {
        waiting.splice(i, 1);
        take(reader, reader.pending!.length);
        reader.admit();
        i = 0;
      } else {
        i++;
      }
    }
  };

  const budget = {
    held: () => held,
    waiting: () => waiting.length,
    start(reader: Reader): void {
      reading.add(reader);
    },
    /** Reserves `chunk` for `reader` now (true), or queues it (false: the caller pauses). */
    reserve(reader: Reader, chunk: Buffer): boolean {
      if (isOldest(reader) || (waiting.length === 0 && held + chunk.length <= capacity)) {
        take(reader, chunk.length);
        return true;
      }
      reader.pending = chunk;
      waiting.push(reader);
      return false;
    },
    /** The body is complete (or abandoned): it no longer counts as arriving. */
    finishReading(reader: Reader): void {
      if (reading.delete(reader)) admitWaiting();
    },
    /** Returns every byte `reader` holds, and forgets it. */
    release(reader: Reader): void {
      reading.delete(reader);
      const queued = waiting.indexOf(reader);
      if (queued !== -1) waiting.splice(queued, 1);
      reader.pending = undefined;
      held -= reader.held;
      reader.held = 0;
      admitWaiting();
    },
  };
  return budget;
}

type Budget = ReturnType<typeof createBodyBudget>;

/**
 * The body as a stream of the bytes it encodes: the request itself, or an inflater for a
 * Content-Encoding the API server may be configured to use (gzip, deflate, br). undefined for
 * an encoding we cannot read. zlib is loaded on first use: the API server sends identity.
 */
function decodedStream(req: IncomingMessage): Readable | undefined {
  const encoding = req.headers["content-encoding"]?.trim().toLowerCase() ?? "identity";
  if (encoding === "identity" || encoding === "") return req;
  const zlib = process.getBuiltinModule("node:zlib");
  const inflater =
    encoding === "gzip" || encoding === "x-gzip"
      ? zlib.createGunzip()
      : encoding === "deflate"
        ? zlib.createInflate()
        : encoding === "br"
          ? zlib.createBrotliDecompress()
          : undefined;
  return inflater === undefined ? undefined : req.pipe(inflater);
}

/**
 * Reads a request body (decoded, at most `limit` bytes after decoding) and decodes it as
 * UTF-8, reserving its bytes in `budget` as they arrive. On success the caller owns the
 * reservation until it calls `release` (once the answer is written: the text and what is
 * parsed from it live until then). Over the limit the answer is 413 at once and the rest
 * of the body is discarded by Node; a client that goes away releases everything.
 * No body: "".
 */
export function readBody(req: IncomingMessage, limit: number, budget: Budget, done: (outcome: BodyOutcome) => void): void {
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) return done({ error: tooLarge(limit) });
  const source = decodedStream(req);
  if (source === undefined) {
    return done({
      error: {
        status: 415,
        message: `unsupported Content-Encoding ${JSON.stringify(req.headers["content-encoding"])}: send identity, gzip, deflate or br`,
      },
    });
  }

  const chunks: Buffer[] = [];
  let received = 0;
  let ended = false;
  let settled = false;
  const reader: Reader = {
    held: 0,
    pending: undefined,
    admit() {
      chunks.push(reader.pending!);
      reader.pending = undefined;
      if (ended) finish();
      else source.resume();
    },
  };

  const detach = () => {
    source.off("data", onData);
    source.off("end", onEnd);
    source.off("error", onError);
    req.off("close", onClose);
  };
  const fail = (error: BodyError) => {
    if (settled) return;
    settled = true;
    detach();
    budget.release(reader);
    if (source !== req) {
      req.unpipe();
      source.destroy();
    }
    // Let Node read off (and drop) what is left, so the answer goes out on a usable connection.
    req.resume();
    done({ error });
  };
  const finish = () => {
    if (settled) return;
    settled = true;
    detach();
    budget.finishReading(reader);
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
    done({ text: bytes.toString("utf8"), release: () => budget.release(reader) });
  };
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (received > limit) return fail(tooLarge(limit));
    if (budget.reserve(reader, chunk)) chunks.push(chunk);
    else source.pause();
  };
  const onEnd = () => {
    ended = true;
    if (reader.pending === undefined) finish();
  };
  const onError = (error: Error) => fail({ status: 400, message: `unreadable body: ${error.message}` });
  // The client went away (or the request deadline closed the connection) before the body ended.
  const onClose = () => {
    if (!req.complete) fail({ status: 400, message: "unreadable body: request aborted" });
  };

  budget.start(reader);
  source.on("data", onData);
  source.on("end", onEnd);
  source.on("error", onError);
  req.on("close", onClose);
}

function tooLarge(limit: number): BodyError {
  return { status: 413, message: `body exceeds ${limit} bytes (--max-body)` };
}
