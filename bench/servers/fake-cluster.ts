// A local API server holding a large cluster for `npm run bench -- --audit`, in its own process
// so that the audit's measurements (time, RSS) are its own:
//   node fake-cluster.js <pods> <deployments> <patches>   → prints {"port": N} and serves until killed
// Pods: a fifth are bare and name patches in their own annotation; the rest belong to a
// ReplicaSet (controller ownerReference) and are injected, as pods of a meshed Deployment are.
// Half the Deployments name two patches; one in a hundred a patch that is gone.
import { containerPatch, patchName } from "../scenarios.js";
import { FakeListWatch } from "../../test/support/fake-list-watch.js";
import type { KubeObject } from "../../test/support/fake-list-watch.js";

const [pods = 50_000, deployments = 10_000, patches = 1_000] = process.argv.slice(2).map(Number);
const NAMESPACES = 100;

const api = FakeListWatch.standard();
api.recordEvents = false;

const appContainer = (name: string) => ({
  name,
  image: "ghcr.io/example/web:1.8.2",
  ports: [{ containerPort: 8080, name: "http" }],
  env: [
    { name: "LOG_LEVEL", value: "info" },
    { name: "DB_HOST", value: "db.shop.svc" },
  ],
  resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
  readinessProbe: { httpGet: { path: "/ready", port: 8080 }, periodSeconds: 5 },
});

for (let i = 0; i < patches; i++) {
  const patch = containerPatch(patchName(i % 1000) + (i >= 1000 ? `-${i}` : ""), 3) as KubeObject;
  api.put("/apis/kuma.io/v1alpha1", "containerpatches", patch);
}
for (let n = 0; n < NAMESPACES; n++)
  api.put("/api/v1", "namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: `team-${n}`, labels: { "kuma.io/sidecar-injection": "enabled" } },
  });

for (let i = 0; i < deployments; i++) {
  const namespace = `team-${i % NAMESPACES}`;
  // One in a hundred names a patch that does not exist: the audit has findings to report.
  const annotations: Record<string, string> =
    i % 100 === 1
      ? { "kuma.io/container-patches": "deleted-patch" }
      : i % 2 === 0
        ? { "kuma.io/container-patches": `${patchName((i % patches) % 1000)},${patchName(((i * 7) % patches) % 1000)}` }
        : {};
  api.put("/apis/apps/v1", "deployments", {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: `app-${i}`, namespace, labels: { app: `app-${i}` } },
    spec: {
      replicas: 5,
      selector: { matchLabels: { app: `app-${i}` } },
      template: { metadata: { labels: { app: `app-${i}` }, annotations }, spec: { containers: [appContainer(`app-${i}`)] } },
    },
  });
}

for (let i = 0; i < pods; i++) {
  const owner = i % 5 !== 0 ? i % deployments : undefined;
  const namespace = `team-${(owner ?? i) % NAMESPACES}`;
  const annotations: Record<string, string> =
    owner === undefined
      ? { "kuma.io/container-patches": patchName((i % patches) % 1000) }
      : {
          "kuma.io/sidecar-injected": "true",
          "kuma.io/sidecar-uid": "5678",
          "kuma.io/mesh": "default",
          "kuma.io/transparent-proxying": "enabled",
        };
  api.put("/api/v1", "pods", {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: owner === undefined ? `job-${i}` : `app-${owner}-7d9f-${i}`,
      namespace,
      labels: { app: `app-${owner ?? i}` },
      annotations,
      ...(owner === undefined
        ? {}
        : {
            ownerReferences: [
              { apiVersion: "apps/v1", kind: "ReplicaSet", name: `app-${owner}-7d9f`, uid: `rs-${owner}`, controller: true },
            ],
          }),
    },
    spec: {
      containers: [
        appContainer(`app-${owner ?? i}`),
        ...(owner === undefined
          ? []
          : [
              {
                name: "kuma-sidecar",
                image: "docker.io/kumahq/kuma-dp:2.14.3",
                args: ["run", "--log-level=info"],
                securityContext: { runAsUser: 5678, runAsGroup: 5678 },
              },
            ]),
      ],
      nodeName: `node-${i % 50}`,
    },
    status: { phase: "Running", podIP: `10.0.${(i >> 8) & 255}.${i & 255}` },
  });
}

const port = await api.start();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on("SIGTERM", () => void api.stop().then(() => process.exit(0)));
