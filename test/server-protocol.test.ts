// Below the request listener: bytes Node's HTTP parser rejects, over a real socket. The listener answers
// with a 4xx and a JSON error (or closes), never a 5xx, and keeps serving.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import fc from "fast-check";
import { pino } from "pino";
import { serve } from "../src/server/serve.js";
import { createDefaultPolicy } from "../src/policy/compile.js";
import { createNoCatalog } from "../src/catalog/types.js";

const NUM_RUNS = Number(process.env.KUMA_GUARD_FUZZ_RUNS ?? 200);

/** Writes `bytes`, half-closes, and returns everything the server sent before closing. */
function exchange(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (error: NodeJS.ErrnoException) =>
      error.code === "ECONNRESET" || error.code === "EPIPE" ? undefined : reject(error),
    );
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
  });
}

/** Every response in `raw`: its status and, when it says JSON, whether the body parses. */
function responsesOf(raw: string): { status: number; json: boolean; bodyParses: boolean }[] {
  const responses = [];
  let rest = raw;
  while (rest.startsWith("HTTP/1.1 ")) {
    const headEnd = rest.indexOf("\r\n\r\n");
    if (headEnd < 0) break;
    const head = rest.slice(0, headEnd);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    const body = rest.slice(headEnd + 4, headEnd + 4 + length);
    let bodyParses = true;
    try {
      JSON.parse(Buffer.from(body, "latin1").toString("utf8"));
    } catch {
      bodyParses = false;
    }
    responses.push({ status: Number(head.slice(9, 12)), json: /\r\ncontent-type: application\/json/i.test(head), bodyParses });
    rest = rest.slice(headEnd + 4 + length);
  }
  return responses;
}

const VALID = "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
/** Requests near valid ones, broken where HTTP parsers and smugglers look. */
const brokenRequests = fc.oneof(
  fc.constantFrom(
    "GARBAGE\r\n\r\n",
    "GET /healthz HTTP/9.9\r\n\r\n",
    "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
    "GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\u0000b\r\n\r\n",
    "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
    "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "POST /validate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    "POST /validate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n",
    "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{}",
    `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
    `GET /${"a".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    "GET /healthz HTTP/1.1\r\nHost: x\r\n",
    "GET /healthz HTTP/1.1\nHost: x\n\n",
    "POST /validate HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
    `${VALID}${VALID}GARBAGE\r\n\r\n`,
  ),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
  // A valid request with one byte replaced.
  fc
    .tuple(fc.nat({ max: VALID.length - 1 }), fc.integer({ min: 0, max: 255 }))
    .map(([at, byte]) => VALID.slice(0, at) + String.fromCharCode(byte) + VALID.slice(at + 1)),
);

test("bytes the HTTP parser rejects get a 4xx with a JSON error or a closed connection, never a 5xx", async () => {
  const policy = createDefaultPolicy();
  const running = await serve(
    { port: 0, host: "127.0.0.1", insecureHttp: true, shutdownDelaySeconds: 0, maxBody: 64 * 1024 },
    { logger: pino({ level: "silent" }), policy: () => policy, catalog: createNoCatalog() },
  );
  try {
    await fc.assert(
      fc.asyncProperty(brokenRequests, async (text) => {
        const raw = await exchange(running.port, Buffer.from(text, "latin1"));
        for (const response of responsesOf(raw)) {
          assert.ok(response.status >= 200 && response.status < 500, `status ${response.status} for ${JSON.stringify(text.slice(0, 100))}`);
          if (response.status >= 400) {
            assert.ok(
              response.json && response.bodyParses,
              `a ${response.status} without a JSON body for ${JSON.stringify(text.slice(0, 100))}: ${raw.slice(0, 300)}`,
            );
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
    const after = responsesOf(await exchange(running.port, Buffer.from("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")));
    assert.equal(after[0]?.status, 200, "the listener still serves");
  } finally {
    await running.shutdown();
  }
});

test("a header block over Node's limit gets 431, a request without Host 400, both with a JSON error", async () => {
  const policy = createDefaultPolicy();
  const running = await serve(
    { port: 0, host: "127.0.0.1", insecureHttp: true, shutdownDelaySeconds: 0, maxBody: 64 * 1024 },
    { logger: pino({ level: "silent" }), policy: () => policy, catalog: createNoCatalog() },
  );
  try {
    const [response] = responsesOf(
      await exchange(running.port, Buffer.from(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`)),
    );
    assert.deepEqual(response, { status: 431, json: true, bodyParses: true });
    const [hostless] = responsesOf(await exchange(running.port, Buffer.from("GET /healthz HTTP/1.1\r\n\r\n")));
    assert.deepEqual(hostless, { status: 400, json: true, bodyParses: true });
  } finally {
    await running.shutdown();
  }
});
