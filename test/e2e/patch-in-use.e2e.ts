// End to end against a real API server (any KUBECONFIG; ../shared/kube-harness starts one on
// loopback): kuma-guard serve runs here, the webhook from deploy/ is registered with a url to it,
// and kubectl and `kuma-guard audit` are run as a user would.
//
//   npm run e2e        (skipped, with a message, when KUBECONFIG is not set)
//
// The API server must reach https://127.0.0.1:<port> (a local API server does; a remote
// cluster does not). It needs no controllers: nothing here waits for a pod.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { createTestCa, issueCertificate } from "../support/tls.js";
import type { TestCa } from "../support/tls.js";
import { waitFor } from "../support/wait.js";
import { freePort } from "../support/net.js";

const ROOT = new URL("../../../", import.meta.url);
const CLI = new URL("dist/cli.js", ROOT).pathname;
const KUBECONFIG = process.env["KUBECONFIG"];
const SKIP = KUBECONFIG
  ? false
  : "KUBECONFIG is not set: the e2e suite needs a cluster whose API server can reach 127.0.0.1 (e.g. ../shared/kube-harness/start.sh, then KUBECONFIG=~/.kube-harness/kubeconfig npm run e2e)";
if (SKIP) process.stdout.write(`# e2e skipped: ${SKIP}\n`);

const id = randomBytes(3).toString("hex");
const NS = `kuma-guard-e2e-${id}`;
const PATCH = `e2e-limits-${id}`;
const WEBHOOK = `kuma-guard-e2e-${id}`;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function kubectl(args: string[], input?: string): Run {
  const result = spawnSync("kubectl", args, { encoding: "utf8", input, env: process.env, timeout: 60_000 });
  return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? String(result.error ?? "") };
}

function apply(object: unknown): void {
  const result = kubectl(["apply", "-f", "-"], stringify(object));
  assert.equal(result.status, 0, `kubectl apply: ${result.stderr}`);
}

const deployment = (name: string, patches: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: NS },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name }, annotations: { "kuma.io/container-patches": patches } },
      spec: { containers: [{ name: "app", image: "registry.k8s.io/pause:3.9" }] },
    },
  },
});

let server: ChildProcess | undefined;
let serverLog = "";
let ca: TestCa | undefined;

before(async () => {
  if (SKIP) return;
  const crd = kubectl(["get", "crd", "containerpatches.kuma.io"]);
  if (crd.status !== 0) apply(parse(readFileSync(new URL("test/e2e/fixtures/containerpatch-crd.yaml", ROOT), "utf8")));
  await waitFor(() => kubectl(["get", "containerpatches", "-A"]).status === 0, "the ContainerPatch CRD to be served", 30_000);
  apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "kuma-system" } });
  // Labelled as a Kuma namespace is: its workloads are injected, so they are judged.
  apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: NS, labels: { "kuma.io/sidecar-injection": "enabled" } } });
  // Created before the webhook is registered: the audit has something to find.
  apply(deployment("cart", `e2e-gone-${id}`));

  ca = await createTestCa();
  const leaf = await issueCertificate(ca);
  writeFileSync(join(ca.dir, "tls.crt"), leaf.cert);
  writeFileSync(join(ca.dir, "tls.key"), leaf.key);
  const [port, metricsPort] = [await freePort(), await freePort()];
  server = spawn(
    process.execPath,
    [
      CLI,
      "serve",
      "--kube",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--metrics-port",
      String(metricsPort),
      "--tls-cert",
      join(ca.dir, "tls.crt"),
      "--tls-key",
      join(ca.dir, "tls.key"),
      "--shutdown-delay",
      "0",
    ],
    { env: process.env, stdio: ["ignore", "pipe", "pipe"] },
  );
  server.stdout?.on("data", (chunk: Buffer) => (serverLog += chunk.toString()));
  server.stderr?.on("data", (chunk: Buffer) => (serverLog += chunk.toString()));
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined))?.ok === true,
    "kuma-guard serve to be ready",
    30_000,
  );

  // The webhook configuration from deploy/, pointed at this process instead of the Service.
  const configuration = parse(readFileSync(new URL("deploy/base/validating-webhook-configuration.yaml", ROOT), "utf8")) as {
    metadata: { name: string };
    webhooks: { name: string; failurePolicy: string; clientConfig: unknown }[];
  };
  configuration.metadata.name = WEBHOOK;
  for (const webhook of configuration.webhooks) {
    webhook.name = webhook.name.replace("kuma-guard.io", `e2e-${id}.kuma-guard.io`);
    webhook.clientConfig = { url: `https://127.0.0.1:${port}/validate`, caBundle: ca.cert.toString("base64") };
  }
  apply(configuration);
});

after(async () => {
  if (SKIP) return;
  kubectl(["delete", "validatingwebhookconfiguration", WEBHOOK, "--ignore-not-found"]);
  kubectl(["delete", "containerpatch", "-n", "kuma-system", PATCH, "--ignore-not-found"]);
  // Without a namespace controller (kube-harness) a namespace never empties itself: delete what is in it.
  kubectl(["delete", "deployments", "-n", NS, "--all", "--ignore-not-found"]);
  kubectl(["delete", "namespace", NS, "--ignore-not-found", "--wait=false"]);
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  await ca?.cleanup();
});

test("a ContainerPatch that a Deployment references cannot be deleted until the Deployment is gone", { skip: SKIP }, async () => {
  // The webhook may need a moment to be called by the API server after registration.
  await waitFor(
    () => {
      const created = kubectl(
        ["apply", "-f", "-"],
        stringify({
          apiVersion: "kuma.io/v1alpha1",
          kind: "ContainerPatch",
          metadata: { name: PATCH, namespace: "kuma-system" },
          spec: { sidecarPatch: [{ op: "add", path: "/resources/limits", value: '{"cpu":"500m"}' }] },
        }),
      );
      return created.status === 0;
    },
    "the ContainerPatch to be created",
    30_000,
  );
  apply(deployment("web", PATCH));

  // The references index learns of the Deployment from its watch; dry-run asks the webhook too.
  let dryRun: Run = { status: null, stdout: "", stderr: "" };
  await waitFor(
    () => (dryRun = kubectl(["delete", "containerpatch", "-n", "kuma-system", PATCH, "--dry-run=server"])).status !== 0,
    "the dry-run delete to be denied",
    30_000,
  );
  assert.match(dryRun.stderr, /denied the request/);
  assert.match(
    dryRun.stderr,
    new RegExp(`patch-in-use: ContainerPatch kuma-system/${PATCH} is still referenced by 1 workload \\(Deployment ${NS}/web\\)`),
  );

  const refused = kubectl(["delete", "containerpatch", "-n", "kuma-system", PATCH]);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /patch-in-use: .*still referenced/);
  assert.equal(kubectl(["get", "containerpatch", "-n", "kuma-system", PATCH]).status, 0, "the patch is still there");

  assert.equal(kubectl(["delete", "deployment", "-n", NS, "web"]).status, 0);
  await waitFor(
    () => kubectl(["delete", "containerpatch", "-n", "kuma-system", PATCH, "--dry-run=server"]).status === 0,
    "the dry-run delete to be allowed",
    30_000,
  );
  const deleted = kubectl(["delete", "containerpatch", "-n", "kuma-system", PATCH]);
  assert.equal(deleted.status, 0, deleted.stderr);
});

test("kuma-guard audit reports the Deployment whose patch is missing, with exit code 1", { skip: SKIP }, () => {
  const result = spawnSync(process.execPath, [CLI, "audit", "--namespace", NS, "--format", "json"], {
    encoding: "utf8",
    env: process.env,
    timeout: 120_000,
  });
  assert.equal(result.status, 1, `${result.stderr}\n${serverLog.slice(-2000)}`);
  const report = JSON.parse(result.stdout) as {
    summary: { denied: number };
    findings: { ruleId: string; kind: string; namespace: string; name: string; message: string }[];
  };
  const cart = report.findings.filter((f) => f.name === "cart");
  assert.deepEqual(
    cart.map((f) => `${f.kind} ${f.namespace}/${f.name} ${f.ruleId}`),
    [`Deployment ${NS}/cart workload-missing-patch`],
  );
  assert.match(cart[0]!.message, /pods of this Deployment will fail at their next creation/);
  assert.match(result.stderr, /objects audited \(.*1 Namespace.*\)/);
});
