// --client-ca / --client-cn: the webhook port answers only clients whose certificate the CA
// signed (and, with --client-cn, that carry the common name), refusing the rest before any
// request is read; the probes stay on the plain-HTTP metrics port; the CA file is re-read.
import { test } from "node:test";
import assert from "node:assert/strict";
import { request as httpsRequest } from "node:https";
import { request as httpRequest } from "node:http";
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pino } from "pino";
import { serve } from "../src/server/serve.js";
import type { RunningServer } from "../src/server/serve.js";
import { DEFAULT_MAX_BODY } from "../src/server/app.js";
import { createDefaultPolicy } from "../src/policy/compile.js";
import { createNoCatalog } from "../src/catalog/types.js";
import { admissionReview } from "./support/app.js";
import { createTestCa, issueCertificate } from "./support/tls.js";
import type { TestCa, TestCertificate } from "./support/tls.js";
import { waitFor } from "./support/wait.js";

const API_SERVER_CN = "kube-apiserver";
const REVIEW = JSON.stringify(
  admissionReview({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "shop" } }, { uid: "mtls-1" }),
);

/** POSTs a review on a new connection, trusting `servingCa`, presenting `client` when given. */
function validate(port: number, servingCa: Buffer, client?: TestCertificate): Promise<{ status: number; uid: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: "127.0.0.1",
        port,
        path: "/validate",
        method: "POST",
        ca: servingCa,
        agent: false,
        ...(client ? { cert: client.cert, key: client.key } : {}),
        headers: { "content-type": "application/json" },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, uid: (JSON.parse(body) as { response: { uid: string } }).response.uid }),
        );
      },
    );
    req.on("error", reject);
    req.end(REVIEW);
  });
}

function plainGet(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    })
      .on("error", reject)
      .end();
  });
}

interface Setup {
  running: RunningServer;
  serving: TestCa;
  clients: TestCa;
  other: TestCa;
  caFile: string;
}

async function start(clientCn?: string): Promise<Setup> {
  const [serving, clients, other] = await Promise.all([createTestCa(), createTestCa(), createTestCa()]);
  const leaf = await issueCertificate(serving);
  const cert = join(serving.dir, "tls.crt");
  const key = join(serving.dir, "tls.key");
  const caFile = join(serving.dir, "client-ca.crt");
  await Promise.all([writeFile(cert, leaf.cert), writeFile(key, leaf.key), writeFile(caFile, clients.cert)]);
  const policy = createDefaultPolicy();
  const running = await serve(
    {
      port: 0,
      host: "127.0.0.1",
      tlsCert: cert,
      tlsKey: key,
      clientCa: caFile,
      ...(clientCn !== undefined ? { clientCn } : {}),
      insecureHttp: false,
      metricsPort: 0,
      shutdownDelaySeconds: 0,
      maxBody: DEFAULT_MAX_BODY,
      tlsPollIntervalMs: 100,
    },
    { logger: pino({ level: "silent" }), policy: () => policy, catalog: createNoCatalog() },
  );
  return { running, serving, clients, other, caFile };
}

async function stop(setup: Setup): Promise<void> {
  await setup.running.shutdown();
  await Promise.all([setup.serving.cleanup(), setup.clients.cleanup(), setup.other.cleanup()]);
}

test("with --client-ca, a client certificate of that CA is answered; none, or another CA's, is refused at the TLS layer", async () => {
  const setup = await start();
  try {
    const { running, serving, clients, other } = setup;
    const good = await issueCertificate(clients, API_SERVER_CN, "clientAuth");
    assert.deepEqual(await validate(running.port, serving.cert, good), { status: 200, uid: "mtls-1" });
    await assert.rejects(validate(running.port, serving.cert), "no client certificate");
    await assert.rejects(
      validate(running.port, serving.cert, await issueCertificate(other, API_SERVER_CN, "clientAuth")),
      "another CA's certificate",
    );
    // The kubelet probes the metrics port, which asks for no certificate.
    assert.equal(await plainGet(running.metricsPort!, "/readyz"), 200);
    assert.equal(await plainGet(running.metricsPort!, "/healthz"), 200);
  } finally {
    await stop(setup);
  }
});

test("with --client-cn, a certificate of the CA with another common name is refused", async () => {
  const setup = await start(API_SERVER_CN);
  try {
    const { running, serving, clients } = setup;
    assert.equal((await validate(running.port, serving.cert, await issueCertificate(clients, API_SERVER_CN, "clientAuth"))).status, 200);
    await assert.rejects(
      validate(running.port, serving.cert, await issueCertificate(clients, "intruder", "clientAuth")),
      "wrong common name",
    );
  } finally {
    await stop(setup);
  }
});

test("a replaced --client-ca file is used for new connections without a restart", async () => {
  const setup = await start();
  try {
    const { running, serving, clients, other, caFile } = setup;
    const fromOther = await issueCertificate(other, API_SERVER_CN, "clientAuth");
    await assert.rejects(validate(running.port, serving.cert, fromOther));
    // As a Secret update does it: a new file renamed over the old one.
    await writeFile(`${caFile}.new`, other.cert);
    await rename(`${caFile}.new`, caFile);
    await waitFor(
      async () => (await validate(running.port, serving.cert, fromOther).catch(() => undefined))?.status === 200,
      "the new client CA in use",
    );
    await assert.rejects(
      validate(running.port, serving.cert, await issueCertificate(clients, API_SERVER_CN, "clientAuth")),
      "the old CA's clients are refused",
    );
  } finally {
    await stop(setup);
  }
});

test("--client-cn without --client-ca, or --client-ca with --insecure-http, is refused at start", async () => {
  const policy = createDefaultPolicy();
  const deps = { logger: pino({ level: "silent" }), policy: () => policy, catalog: createNoCatalog() };
  const base = { port: 0, host: "127.0.0.1", insecureHttp: true, shutdownDelaySeconds: 0, maxBody: DEFAULT_MAX_BODY };
  await assert.rejects(serve({ ...base, clientCn: API_SERVER_CN }, deps), /--client-cn needs --client-ca/);
  await assert.rejects(serve({ ...base, clientCa: "/nonexistent/ca.crt" }, deps), /--client-ca needs TLS/);
});
