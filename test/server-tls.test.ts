// The serving certificate is re-read on rotation — files rewritten in place, or a mounted
// Secret whose `..data` symlink Kubernetes swaps — without a restart and without dropping a
// connection; a pair that does not belong together never replaces a good one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent, request } from "node:https";
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import { X509Certificate } from "node:crypto";
import { mkdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { serve } from "../src/server/serve.js";
import { loadCertificatePair } from "../src/server/tls.js";
import type { RunningServer } from "../src/server/serve.js";
import { createDefaultPolicy } from "../src/policy/compile.js";
import { createNoCatalog } from "../src/catalog/types.js";
import { DEFAULT_MAX_BODY } from "../src/server/app.js";
import { createTestCa, issueCertificate } from "./support/tls.js";
import type { TestCa, TestCertificate } from "./support/tls.js";
import { waitFor } from "./support/wait.js";

interface Answer {
  status: number;
  body: string;
  fingerprint256: string;
  socket: TLSSocket;
}

/** GET over HTTPS trusting only the test CA; `agent` undefined = a new connection. */
function get(port: number, path: string, ca: Buffer, agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, ca, agent: agent ?? false }, (res: IncomingMessage) => {
      const socket = res.socket as TLSSocket;
      const fingerprint256 = socket.getPeerCertificate().fingerprint256;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, fingerprint256, socket }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** A running server over HTTPS on the given files, with its JSON log lines captured. */
async function start(cert: string, key: string): Promise<{ running: RunningServer; logs: Record<string, unknown>[] }> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const policy = createDefaultPolicy();
  const running = await serve(
    {
      port: 0,
      host: "127.0.0.1",
      tlsCert: cert,
      tlsKey: key,
      insecureHttp: false,
      shutdownDelaySeconds: 0,
      maxBody: DEFAULT_MAX_BODY,
      tlsPollIntervalMs: 250,
    },
    { logger: pino({ level: "debug" }, sink), policy: () => policy, catalog: createNoCatalog() },
  );
  return { running, logs };
}

/**
 * Requests on one keep-alive connection, opened before a rotation, until stopped: every one
 * must succeed on that same socket (a reload must not drop established connections).
 */
function keepAliveTraffic(port: number, ca: Buffer) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca });
  const sockets = new Set<TLSSocket>();
  const fingerprints = new Set<string>();
  const failures: string[] = [];
  let answered = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const answer = await get(port, "/healthz", ca, agent);
        if (answer.status !== 200) failures.push(`status ${answer.status}`);
        sockets.add(answer.socket);
        fingerprints.add(answer.fingerprint256);
        answered++;
      } catch (error) {
        failures.push((error as Error).message);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    answered: () => answered,
    async stop() {
      stopped = true;
      await loop;
      agent.destroy();
      return { sockets: sockets.size, fingerprints: [...fingerprints], failures, answered };
    },
  };
}

const expiryMetric = async (port: number, ca: Buffer): Promise<number> => {
  const { body } = await get(port, "/metrics", ca);
  const line = body.split("\n").find((l) => l.startsWith("kuma_guard_tls_certificate_expiry_timestamp_seconds "));
  return Number(line?.split(" ")[1]);
};
const notAfterOf = (certificate: TestCertificate) => new Date(new X509Certificate(certificate.cert).validTo).getTime() / 1000;

let ca: TestCa;
test.before(async () => {
  ca = await createTestCa();
});
test.after(async () => {
  await ca.cleanup();
});

test("certificate files rewritten in place are served to new connections; an open connection keeps working", async () => {
  const [first, second] = await Promise.all([issueCertificate(ca), issueCertificate(ca)]);
  const dir = join(ca.dir, "in-place");
  await mkdir(dir);
  const [cert, key] = [join(dir, "tls.crt"), join(dir, "tls.key")];
  await Promise.all([writeFile(cert, first.cert), writeFile(key, first.key)]);
  const { running, logs } = await start(cert, key);
  try {
    const before = await get(running.port, "/healthz", ca.cert);
    assert.equal(before.status, 200);
    assert.equal(before.fingerprint256, first.fingerprint256);
    assert.equal(await expiryMetric(running.port, ca.cert), notAfterOf(first));

    const traffic = keepAliveTraffic(running.port, ca.cert);
    await waitFor(() => traffic.answered() > 0, "the keep-alive connection to answer");
    await writeFile(cert, second.cert);
    await writeFile(key, second.key);
    await waitFor(
      async () => (await get(running.port, "/healthz", ca.cert)).fingerprint256 === second.fingerprint256,
      "a new connection to see the new certificate",
    );
    const seen = traffic.answered();
    await waitFor(() => traffic.answered() > seen + 2, "the keep-alive connection to answer after the rotation");
    const result = await traffic.stop();

    assert.deepEqual(result.failures, []);
    assert.equal(result.sockets, 1, "all keep-alive requests used the connection opened before the rotation");
    assert.deepEqual(result.fingerprints, [first.fingerprint256], "the open connection keeps its handshake");
    assert.equal(await expiryMetric(running.port, ca.cert), notAfterOf(second));
    assert.ok(logs.some((l) => l.msg === "TLS certificate reloaded" && l.fingerprint256 === second.fingerprint256));
  } finally {
    await running.shutdown();
  }
});

/** A directory laid out as the kubelet mounts a Secret. */
async function writeSecretVersion(dir: string, version: string, certificate: TestCertificate): Promise<void> {
  const data = join(dir, version);
  await mkdir(data);
  await writeFile(join(data, "tls.crt"), certificate.cert);
  await writeFile(join(data, "tls.key"), certificate.key);
}

/** The kubelet's atomic update: a new `..data` symlink renamed over the old one, then the old version removed. */
async function swapSecret(dir: string, version: string, certificate: TestCertificate, old: string): Promise<void> {
  await writeSecretVersion(dir, version, certificate);
  await symlink(version, join(dir, "..data_tmp"));
  await rename(join(dir, "..data_tmp"), join(dir, "..data"));
  await rm(join(dir, old), { recursive: true });
}

test("a mounted Secret updated by swapping its ..data symlink is picked up without dropping a connection", async () => {
  const [first, second, third] = await Promise.all([issueCertificate(ca), issueCertificate(ca), issueCertificate(ca)]);
  const dir = join(ca.dir, "secret");
  await mkdir(dir);
  await writeSecretVersion(dir, "..2026_12_01_00_00_00.1", first);
  await symlink("..2026_12_01_00_00_00.1", join(dir, "..data"));
  await symlink("..data/tls.crt", join(dir, "tls.crt"));
  await symlink("..data/tls.key", join(dir, "tls.key"));
  const { running } = await start(join(dir, "tls.crt"), join(dir, "tls.key"));
  try {
    assert.equal((await get(running.port, "/healthz", ca.cert)).fingerprint256, first.fingerprint256);
    const traffic = keepAliveTraffic(running.port, ca.cert);
    await waitFor(() => traffic.answered() > 0, "the keep-alive connection to answer");

    await swapSecret(dir, "..2026_12_01_00_10_00.2", second, "..2026_12_01_00_00_00.1");
    await waitFor(
      async () => (await get(running.port, "/healthz", ca.cert)).fingerprint256 === second.fingerprint256,
      "the first swap to be served",
    );
    await swapSecret(dir, "..2026_12_01_00_20_00.3", third, "..2026_12_01_00_10_00.2");
    await waitFor(
      async () => (await get(running.port, "/healthz", ca.cert)).fingerprint256 === third.fingerprint256,
      "the second swap to be served",
    );
    const seen = traffic.answered();
    await waitFor(() => traffic.answered() > seen + 2, "the keep-alive connection to answer after the swaps");
    const result = await traffic.stop();

    assert.deepEqual(result.failures, []);
    assert.equal(result.sockets, 1);
    assert.deepEqual(result.fingerprints, [first.fingerprint256]);
    assert.equal(await expiryMetric(running.port, ca.cert), notAfterOf(third));
  } finally {
    await running.shutdown();
  }
});

test("a certificate without its matching key keeps the old pair, and the fixed pair is then loaded", async () => {
  const [first, second] = await Promise.all([issueCertificate(ca), issueCertificate(ca)]);
  const dir = join(ca.dir, "broken");
  await mkdir(dir);
  const [cert, key] = [join(dir, "tls.crt"), join(dir, "tls.key")];
  await Promise.all([writeFile(cert, first.cert), writeFile(key, first.key)]);
  const { running, logs } = await start(cert, key);
  try {
    await writeFile(cert, second.cert); // the key still belongs to `first`
    await waitFor(
      () => logs.some((l) => l.msg === "TLS certificate not reloaded: keeping the current one" && /not the key/.test(String(l.error))),
      "the mismatch warning",
    );
    assert.equal((await get(running.port, "/healthz", ca.cert)).fingerprint256, first.fingerprint256);
    assert.equal(running.tls?.current().fingerprint256, first.fingerprint256);

    await writeFile(cert, "-----BEGIN CERTIFICATE-----\nMIIB"); // half-written
    await waitFor(
      () =>
        logs.some(
          (l) => l.msg === "TLS certificate not reloaded: keeping the current one" && /not a PEM certificate/.test(String(l.error)),
        ),
      "the parse warning",
    );
    assert.equal((await get(running.port, "/healthz", ca.cert)).fingerprint256, first.fingerprint256);

    await writeFile(key, second.key);
    await writeFile(cert, second.cert);
    await waitFor(
      async () => (await get(running.port, "/healthz", ca.cert)).fingerprint256 === second.fingerprint256,
      "the repaired pair to be served",
    );
  } finally {
    await running.shutdown();
  }
});

test("serve refuses to start on a pair that does not match", async () => {
  const [first, second] = await Promise.all([issueCertificate(ca), issueCertificate(ca)]);
  const dir = join(ca.dir, "mismatch");
  await mkdir(dir);
  await Promise.all([writeFile(join(dir, "tls.crt"), first.cert), writeFile(join(dir, "tls.key"), second.key)]);
  await assert.rejects(start(join(dir, "tls.crt"), join(dir, "tls.key")), /not the key of the certificate/);
});

test("loadCertificatePair accepts only a complete pair that belongs together", async () => {
  const [good, other] = await Promise.all([issueCertificate(ca), issueCertificate(ca)]);
  const dir = join(ca.dir, "pairs");
  await mkdir(dir);
  const cases = [
    { name: "a matching pair", cert: good.cert, key: good.key, error: undefined },
    { name: "the key of another certificate", cert: good.cert, key: other.key, error: /not the key of the certificate/ },
    { name: "a truncated certificate", cert: good.cert.subarray(0, 100), key: good.key, error: /not a PEM certificate/ },
    { name: "an empty key", cert: good.cert, key: Buffer.alloc(0), error: /not a usable private key/ },
    { name: "a certificate where the key belongs", cert: good.cert, key: good.cert, error: /not a usable private key/ },
    { name: "a missing key file", cert: good.cert, key: undefined, error: /cannot read/ },
  ];
  for (const [i, c] of cases.entries()) {
    const files = { cert: join(dir, `${i}.crt`), key: join(dir, `${i}.key`) };
    await writeFile(files.cert, c.cert);
    if (c.key !== undefined) await writeFile(files.key, c.key);
    const result = await loadCertificatePair(files);
    if (c.error === undefined) {
      assert.ok("value" in result, c.name);
      assert.equal(result.value.fingerprint256, good.fingerprint256);
      assert.equal(result.value.notAfter.getTime() / 1000, notAfterOf(good));
    } else {
      assert.ok("error" in result, c.name);
      assert.match(result.error, c.error, c.name);
    }
  }
});
