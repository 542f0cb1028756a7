// End to end against a real kube-apiserver (../shared/kube-harness): with --client-ca, the
// API server, given a client certificate by its AdmissionConfiguration, gets kuma-guard's
// answers, and a client without a certificate is refused at the TLS layer.
//
// Opt-in: needs KUBE_HARNESS (the harness's scripts) and its built binaries. The test starts
// its own API server and etcd — the AdmissionConfiguration is read at start — on other
// ports than the harness's defaults (KH_APISERVER_PORT etc. override them), in a temporary
// KUBE_HOME that shares the built binaries, and stops them at the end.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "node:https";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { serve } from "../../src/server/serve.js";
import type { RunningServer } from "../../src/server/serve.js";
import { DEFAULT_MAX_BODY } from "../../src/server/app.js";
import { createDefaultPolicy } from "../../src/policy/compile.js";
import { createNoCatalog } from "../../src/catalog/types.js";
import { createTestCa, issueCertificate } from "../support/tls.js";
import type { TestCa } from "../support/tls.js";

const run = promisify(execFile);
const HARNESS = process.env.KUBE_HARNESS;
const BUILT = join(process.env.KUBE_HARNESS_HOME ?? join(homedir(), ".kube-harness"), "bin");
const skip =
  HARNESS === undefined
    ? "KUBE_HARNESS is not set: point it at ../shared/kube-harness (this test starts its own API server, configured with an AdmissionConfiguration)"
    : !existsSync(join(BUILT, "kube-apiserver"))
      ? `no kube-apiserver in ${BUILT}: run $KUBE_HARNESS/build.sh first (or set KUBE_HARNESS_HOME to where it built)`
      : false;

/** Ports of this test's own API server and etcd, away from a harness on the defaults. */
const PORTS = {
  KH_APISERVER_PORT: process.env.KH_APISERVER_PORT ?? "16443",
  KH_ETCD_CLIENT_PORT: process.env.KH_ETCD_CLIENT_PORT ?? "12379",
  KH_ETCD_PEER_PORT: process.env.KH_ETCD_PEER_PORT ?? "12380",
};
/** What the API server's client certificate says it is; kuma-guard runs with --client-cn. */
const API_SERVER_CN = "kube-apiserver-webhook-client";
const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/", import.meta.url));

let home: string;
let ca: TestCa;
let otherCa: TestCa;
let guard: RunningServer;
let harnessEnv: NodeJS.ProcessEnv;

const kubectl = (...args: string[]) => run("kubectl", ["--kubeconfig", join(home, "kubeconfig"), ...args], { encoding: "utf8" });

before(async () => {
  if (skip) return;
  home = await mkdtemp(join(tmpdir(), "kuma-guard-e2e-ca-"));
  await symlink(BUILT, join(home, "bin"));
  [ca, otherCa] = await Promise.all([createTestCa(), createTestCa()]);
  const serving = await issueCertificate(ca); // SANs 127.0.0.1, localhost
  const client = await issueCertificate(ca, API_SERVER_CN, "clientAuth");
  const files = join(home, "kuma-guard");
  await mkdir(files);
  await Promise.all([
    writeFile(join(files, "tls.crt"), serving.cert),
    writeFile(join(files, "tls.key"), serving.key),
    writeFile(join(files, "client-ca.crt"), ca.cert),
    writeFile(join(files, "client.crt"), client.cert),
    writeFile(join(files, "client.key"), client.key),
  ]);

  const policy = createDefaultPolicy();
  guard = await serve(
    {
      port: 0,
      host: "127.0.0.1",
      tlsCert: join(files, "tls.crt"),
      tlsKey: join(files, "tls.key"),
      clientCa: join(files, "client-ca.crt"),
      clientCn: API_SERVER_CN,
      insecureHttp: false,
      shutdownDelaySeconds: 0,
      maxBody: DEFAULT_MAX_BODY,
    },
    { logger: pino({ level: process.env.KUMA_GUARD_E2E_LOG ?? "silent" }), policy: () => policy, catalog: createNoCatalog() },
  );

  // The API server side, as docs/operations.md shows it: the webhook admission plugin reads a
  // kubeconfig whose user, named after the webhook's host (here host:port of its URL), holds
  // the client certificate.
  await writeFile(
    join(files, "webhook-kubeconfig.yaml"),
    [
      "apiVersion: v1",
      "kind: Config",
      "users:",
      `  - name: "127.0.0.1:${guard.port}"`,
      "    user:",
      `      client-certificate: ${join(files, "client.crt")}`,
      `      client-key: ${join(files, "client.key")}`,
      "",
    ].join("\n"),
  );
  await writeFile(
    join(files, "admission-config.yaml"),
    [
      "apiVersion: apiserver.config.k8s.io/v1",
      "kind: AdmissionConfiguration",
      "plugins:",
      "  - name: ValidatingAdmissionWebhook",
      "    configuration:",
      "      apiVersion: apiserver.config.k8s.io/v1",
      "      kind: WebhookAdmissionConfiguration",
      `      kubeConfigFile: ${join(files, "webhook-kubeconfig.yaml")}`,
      "",
    ].join("\n"),
  );
  harnessEnv = {
    ...process.env,
    ...PORTS,
    KUBE_HOME: home,
    KH_APISERVER_EXTRA_ARGS: `--admission-control-config-file=${join(files, "admission-config.yaml")}`,
  };
  await run(join(HARNESS!, "start.sh"), [], { env: harnessEnv });

  await kubectl("create", "namespace", "shop");
  const caBundle = ca.cert.toString("base64");
  await writeFile(
    join(files, "webhook.yaml"),
    JSON.stringify({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: "kuma-guard-e2e" },
      webhooks: [
        {
          name: "workloads.kuma-guard.io",
          clientConfig: { url: `https://127.0.0.1:${guard.port}/validate`, caBundle },
          rules: [{ apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["deployments"] }],
          sideEffects: "None",
          admissionReviewVersions: ["v1"],
          failurePolicy: "Fail",
          timeoutSeconds: 5,
        },
      ],
    }),
  );
  await kubectl("apply", "-f", join(files, "webhook.yaml"));
});

after(async () => {
  if (skip) return;
  if (harnessEnv)
    await run(join(HARNESS!, "stop.sh"), [], { env: harnessEnv }).catch((error: unknown) => console.error(`stop.sh: ${String(error)}`));
  await guard?.shutdown();
  await Promise.all([ca?.cleanup(), otherCa?.cleanup(), home ? rm(home, { recursive: true, force: true }) : undefined]);
});

test("the API server, with its client certificate, gets kuma-guard's denial", { skip }, async () => {
  // The webhook's configuration may take a moment to reach the admission plugin.
  let stderr = "";
  for (let attempt = 0; attempt < 50 && !/denied the request/.test(stderr); attempt++) {
    const result = await kubectl("apply", "--dry-run=server", "-f", join(FIXTURES, "workload-bad.yaml")).then(
      () => "",
      (error: { stderr?: string }) => error.stderr ?? "",
    );
    stderr = result;
    if (!/denied the request/.test(stderr)) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.match(stderr, /admission webhook "workloads\.kuma-guard\.io" denied the request/);
  assert.match(stderr, /Deployment shop\/web/, "kuma-guard's message names the object it checked");
});

test("the API server's allowed request goes through", { skip }, async () => {
  const { stdout } = await kubectl("apply", "--dry-run=server", "-f", join(FIXTURES, "workload-good.yaml"));
  assert.match(stdout, /created \(server dry run\)|configured \(server dry run\)/);
});

test("a client without a certificate, or with another CA's, is refused at the TLS layer", { skip }, async () => {
  const post = (cert?: { cert: Buffer; key: Buffer }) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port: guard.port, path: "/validate", method: "POST", ca: ca.cert, agent: false, ...cert },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end("{}");
    });
  await assert.rejects(post(), /certificate required|ECONNRESET|socket hang up|alert/i);
  await assert.rejects(post(await issueCertificate(otherCa, API_SERVER_CN, "clientAuth")), /unknown ca|ECONNRESET|socket hang up|alert/i);
});
