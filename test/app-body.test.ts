// The /validate body reader (src/server/body.ts): framing the API server never uses
// (chunked, compressed, a query string, a client that gives up) is answered as body-parser
// did, and bytes are reserved as they arrive, so no client holds back another's review.
import { test } from "node:test";
import assert from "node:assert/strict";
import { request as httpRequest, createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { admissionReview, createTestApp } from "./support/app.js";
import type { TestApp } from "./support/app.js";

const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "shop" } };
const REVIEW = JSON.stringify(admissionReview(configMap, { uid: "body-1" }));

async function listen(testApp: TestApp): Promise<{ server: Server; port: number }> {
  const server = createServer(testApp.app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** POSTs `chunks` one write at a time; without a content-length header Node sends them chunked. */
function post(
  port: number,
  path: string,
  chunks: (string | Buffer)[],
  headers: Record<string, string | number> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, method: "POST", headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (part: Buffer) => parts.push(part));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString("utf8")) as Record<string, unknown> }),
      );
    });
    req.on("error", reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

async function rejected(testApp: TestApp, reason: string): Promise<number | undefined> {
  return (await testApp.metrics.rejectedRequests.get()).values.find((v) => v.labels.reason === reason)?.value;
}

test("a chunked body without content-length is reviewed", async () => {
  const testApp = createTestApp();
  const { server, port } = await listen(testApp);
  try {
    const res = await post(port, "/validate", [REVIEW.slice(0, 50), REVIEW.slice(50)]);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.response, { uid: "body-1", allowed: true });
  } finally {
    server.close();
  }
});

test("a chunked body growing over --max-body gets 413 and the connection's next request is answered", async () => {
  const testApp = createTestApp({ maxBody: 2048 });
  const { server, port } = await listen(testApp);
  try {
    const res = await post(port, "/validate", ['{"pad":"', "x".repeat(1500), "x".repeat(1500), '"}']);
    assert.equal(res.status, 413);
    assert.match(String(res.body.error), /2048 bytes/);
    assert.equal(await rejected(testApp, "body_too_large"), 1);
    assert.equal((await post(port, "/validate", [REVIEW])).status, 200);
  } finally {
    server.close();
  }
});

test("a declared content-length over --max-body gets 413", async () => {
  const testApp = createTestApp({ maxBody: 2048 });
  const { server, port } = await listen(testApp);
  try {
    const body = JSON.stringify({ pad: "x".repeat(4096) });
    const res = await post(port, "/validate", [body], { "content-length": Buffer.byteLength(body) });
    assert.equal(res.status, 413);
    assert.equal(await rejected(testApp, "body_too_large"), 1);
  } finally {
    server.close();
  }
});

test("a body nested deeper than 64 levels gets 400 before it is parsed, and the connection's next request is answered", async () => {
  const testApp = createTestApp();
  const { server, port } = await listen(testApp);
  try {
    // 200 KB of brackets, which JSON.parse takes ~40 ms over; a flat body of that size ~0.2 ms.
    const deep = `{"request":{"object":{"spec":${"[".repeat(100_000)}${"]".repeat(100_000)}}}}`;
    const res = await post(port, "/validate", [deep]);
    assert.equal(res.status, 400);
    assert.match(String(res.body.error), /nests deeper than 64 levels \(at position 90\)/);
    assert.equal(await rejected(testApp, "malformed"), 1);
    assert.equal((await post(port, "/validate", [REVIEW])).status, 200);
  } finally {
    server.close();
  }
});

test("an empty body gets 400 as not JSON", async () => {
  const testApp = createTestApp();
  const { server, port } = await listen(testApp);
  try {
    const res = await post(port, "/validate", [], { "content-length": 0 });
    assert.equal(res.status, 400);
    assert.match(String(res.body.error), /^body is not JSON/);
    assert.equal(await rejected(testApp, "malformed"), 1);
  } finally {
    server.close();
  }
});

test("a query string (the API server's ?timeout=10s) and a gzip-encoded body are reviewed", async () => {
  const testApp = createTestApp();
  const { server, port } = await listen(testApp);
  try {
    assert.equal((await post(port, "/validate?timeout=10s", [REVIEW], { "content-length": Buffer.byteLength(REVIEW) })).status, 200);
    const gzipped = gzipSync(REVIEW);
    const res = await post(port, "/validate", [gzipped], { "content-encoding": "gzip", "content-length": gzipped.length });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.response, { uid: "body-1", allowed: true });
  } finally {
    server.close();
  }
});

test("a client that disconnects mid-body leaves the server answering", async () => {
  const testApp = createTestApp();
  const { server, port } = await listen(testApp);
  try {
    await new Promise<void>((resolve) => {
      const req = httpRequest({ host: "127.0.0.1", port, path: "/validate", method: "POST", headers: { "content-length": 10_000 } });
      req.on("error", () => resolve());
      req.write('{"apiVersion":', () => setTimeout(() => (req.destroy(), resolve()), 50));
    });
    assert.equal((await post(port, "/validate", [REVIEW])).status, 200);
  } finally {
    server.close();
  }
});

test("large bodies waiting for one another in a budget smaller than each are all answered", async () => {
  // 1 MiB of budget, four bodies over 1 MiB at once: each holds part and waits for more,
  // and the oldest may always continue, so they cannot wait for one another forever.
  const testApp = createTestApp({ bodyBudget: 1024 * 1024 });
  const { server, port } = await listen(testApp);
  try {
    const large = JSON.stringify({ ...admissionReview(configMap, { uid: "large" }), pad: "x".repeat(1024 * 1024) });
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => post(port, "/validate", [large], { "content-length": Buffer.byteLength(large) })),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200, 200],
    );
  } finally {
    server.close();
  }
});

test("large bodies one after another are each decoded whole, shorter after longer", async () => {
  const testApp = createTestApp();
  const { server, port } = await listen(testApp);
  try {
    // A shorter body after a longer one: stale bytes past its length would make it invalid JSON.
    for (const [uid, padding] of [
      ["long", 300_000],
      ["short", 100_000],
      ["longest", 500_000],
    ] as const) {
      const large = JSON.stringify({ ...admissionReview(configMap, { uid }), pad: "é".repeat(padding) });
      const answer = await post(port, "/validate", [large], { "content-length": Buffer.byteLength(large) });
      assert.equal(answer.status, 200, `${uid}: ${JSON.stringify(answer.body)}`);
      assert.deepEqual(answer.body.response, { uid, allowed: true });
    }
  } finally {
    server.close();
  }
});

test("a client trickling a 3 MiB body does not hold back a concurrent large review", { timeout: 60_000 }, async () => {
  const testApp = createTestApp();
  const { server, port } = await listen(testApp);
  try {
    const trickled = JSON.stringify({ ...admissionReview(configMap, { uid: "trickler" }), pad: "x".repeat(3 * 1024 * 1024) });
    const bytes = Buffer.from(trickled);
    let tricklerAnswered = false;
    let sendRest!: () => void;
    const rest = new Promise<void>((resolve) => (sendRest = resolve));
    let firstPartSent!: () => void;
    const firstPart = new Promise<void>((resolve) => (firstPartSent = resolve));
    const trickler = new Promise<{ status: number }>((resolve, reject) => {
      const req = httpRequest(
        { host: "127.0.0.1", port, path: "/validate", method: "POST", headers: { "content-length": bytes.length } },
        (res) => {
          tricklerAnswered = true;
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
        },
      );
      req.on("error", reject);
      // A third of the body now; the rest only once the large review below is answered.
      req.write(bytes.subarray(0, 1024 * 1024), () => firstPartSent());
      void rest.then(() => req.end(bytes.subarray(1024 * 1024)));
    });
    await firstPart;
    // Declared large (2 MiB) and sent at once, as the API server sends an UPDATE.
    const body = JSON.stringify({ ...admissionReview(configMap, { uid: "large" }), pad: "y".repeat(2 * 1024 * 1024) });
    const large = post(port, "/validate", [body], { "content-length": Buffer.byteLength(body) });
    const answer = await large.finally(sendRest);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.response, { uid: "large", allowed: true });
    assert.equal(tricklerAnswered, false, "the large review was answered while the trickler was still sending");
    assert.equal((await trickler).status, 200);
  } finally {
    server.close();
  }
});

const encodingCases = [
  {
    name: "an unknown Content-Encoding gets 415",
    encoding: "x-unknown",
    body: Buffer.from(REVIEW),
    status: 415,
    error: /unsupported Content-Encoding "x-unknown"/,
  },
  {
    name: "a body that is not the gzip it claims gets 400",
    encoding: "gzip",
    body: Buffer.from(REVIEW),
    status: 400,
    error: /^unreadable body/,
  },
  { name: "a deflate body is reviewed", encoding: "deflate", body: deflateSync(REVIEW), status: 200, error: undefined },
  { name: "a br body is reviewed", encoding: "br", body: brotliCompressSync(REVIEW), status: 200, error: undefined },
  // 2 KiB of gzip inflating to 4 MiB: the limit counts what the body decodes to.
  {
    name: "a gzip body that inflates past --max-body gets 413",
    encoding: "gzip",
    body: gzipSync(JSON.stringify({ pad: "x".repeat(4 * 1024 * 1024) })),
    status: 413,
    error: /bytes \(--max-body\)/,
  },
];
for (const c of encodingCases) {
  test(c.name, async () => {
    const testApp = createTestApp({ maxBody: 1024 * 1024 });
    const { server, port } = await listen(testApp);
    try {
      const res = await post(port, "/validate", [c.body], { "content-encoding": c.encoding, "content-length": c.body.length });
      assert.equal(res.status, c.status, JSON.stringify(res.body));
      if (c.error) assert.match(String(res.body.error), c.error);
      else assert.deepEqual(res.body.response, { uid: "body-1", allowed: true });
      // The connection stays usable for the next request.
      assert.equal((await post(port, "/validate", [REVIEW])).status, 200);
    } finally {
      server.close();
    }
  });
}
