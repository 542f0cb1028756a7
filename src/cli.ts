#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from "commander";
import { createLogger, LOG_LEVELS } from "./logger.js";
import { DEFAULT_MAX_BODY } from "./server/app.js";
import { serve } from "./server/serve.js";
import type { RunningServer } from "./server/serve.js";
import { createNoCatalog } from "./catalog/types.js";
import type { CatalogSource } from "./catalog/types.js";
import { createDirectoryCatalog } from "./catalog/directory.js";
import { createKubeCatalog } from "./catalog/kube.js";
import { createPolicyStore } from "./policy/index.js";
import type { Logger } from "./logger.js";
import { VERSION } from "./version.js";
import { EXIT_USAGE, loadCheckPolicy, readStream, runCheck } from "./check.js";
import { FORMATS } from "./report/index.js";

// Wires dependencies; all behaviour lives in the modules it calls.

function integer(min: number, max: number) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < min || number > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return number;
  };
}

/** --audit-interval: a Go duration of at least one minute, in milliseconds. */
function auditInterval(value: string): number {
  const match = /^(\d+)(s|m|h)$/.exec(value.trim());
  const ms = match ? Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[match[2] as "s" | "m" | "h"] : NaN;
  if (!(ms >= 60_000)) throw new InvalidArgumentError("expected a duration of at least 1m, such as 10m or 1h");
  return ms;
}

/** A flag that can also be set as KUMA_GUARD_<FLAG_IN_CAPS>. */
function flag(flags: string, description: string): Option {
  const option = new Option(flags, description);
  return option.env(`KUMA_GUARD_${option.attributeName().replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`);
}

const program = new Command()
  .name("kuma-guard")
  .description("Validating admission webhook and offline checker for Kuma ContainerPatches and kuma.io annotations.")
  .version(VERSION, "-V, --version-flag", "print the version")
  .showHelpAfterError();

program
  .command("serve")
  .description("run the admission webhook server")
  .addOption(flag("--policy <file>", "policy file (default: the bundled policies/default.yaml)"))
  .addOption(flag("--patches <dir>", "ContainerPatch catalog: YAML/JSON files, re-read on change"))
  .addOption(flag("--kube", "ContainerPatch catalog from the Kubernetes API (list+watch the control-plane namespaces; default inside a cluster)"))
  .addOption(new Option("--no-kube", "never read ContainerPatches from the Kubernetes API, even inside a cluster"))
  .addOption(flag("--port <port>", "webhook port").argParser(integer(0, 65535)).default(9443))
  .addOption(flag("--host <host>", "address to listen on, also for --metrics-port (the Deployment sets 0.0.0.0)").default("127.0.0.1"))
  .addOption(flag("--tls-cert <file>", "serving certificate (PEM), re-read when it changes"))
  .addOption(flag("--tls-key <file>", "serving key (PEM), re-read when it changes"))
  .addOption(flag("--insecure-http", "serve plain HTTP (local use and tests only: the API server requires HTTPS)"))
  .addOption(flag("--metrics-port <port>", "plain-HTTP listener for /metrics, /healthz, /readyz (then /metrics is served only there)").argParser(integer(0, 65535)))
  .addOption(flag("--client-ca <file>", "CA bundle (PEM): the webhook port refuses clients without a certificate it signed; re-read when it changes"))
  .addOption(flag("--client-cn <name>", "with --client-ca: the common name the client certificate must carry (e.g. the API server's)"))
  .addOption(flag("--shutdown-delay <seconds>", "on SIGTERM, keep serving this long with /readyz failing").argParser(integer(0, 3600)).default(5))
  .addOption(flag("--max-body <bytes>", "largest AdmissionReview accepted (413 above)").argParser(integer(1024, 1 << 30)).default(DEFAULT_MAX_BODY))
  .addOption(flag("--audit-interval <duration>", "with --kube: audit the whole cluster this often (Go duration, e.g. 10m; one replica at a time, chosen with a Lease)").argParser(auditInterval))
  .addOption(flag("--policy-reports", "with --audit-interval: write the audit's findings as wgpolicyk8s.io PolicyReports"))
  .addOption(flag("--log-level <level>", "log level").choices(LOG_LEVELS).default("info"))
  .action(async (options) => {
    const logger = createLogger(options.logLevel);
    let running: RunningServer | undefined;
    let namespaces: readonly string[] = [];
    const policies = await createPolicyStore({
      file: options.policy,
      logger,
      metrics: () => running?.metrics,
      onReload: (policy) => {
        if (policy.settings.controlPlaneNamespaces.join() !== namespaces.join()) {
          logger.warn({ watched: namespaces, policy: policy.settings.controlPlaneNamespaces }, "controlPlaneNamespaces changed: restart kuma-guard so the catalog follows");
        }
      },
    });
    namespaces = policies.current().settings.controlPlaneNamespaces;
    const catalog = await createCatalog(options, namespaces, logger);
    const { auditServices } = await import("./audit/serve-options.js");
    const startAudit = await auditServices(options, { inCluster: process.env.KUBERNETES_SERVICE_HOST !== undefined, logger, policy: policies.current, version: VERSION });
    running = await serve(
      {
        port: options.port,
        host: options.host,
        tlsCert: options.tlsCert,
        tlsKey: options.tlsKey,
        insecureHttp: options.insecureHttp === true,
        metricsPort: options.metricsPort,
        clientCa: options.clientCa,
        clientCn: options.clientCn,
        shutdownDelaySeconds: options.shutdownDelay,
        maxBody: options.maxBody,
      },
      { logger, policy: policies.current, catalog, ...(startAudit ? { startAudit } : {}) },
    );
    const server = running;
    const stop = () => {
      server
        .shutdown()
        .then(() => policies.close())
        .then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, "shutdown failed");
            process.exit(1);
          },
        );
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });

/**
 * --patches DIR, else the Kubernetes API with --kube (default inside a cluster, where the
 * service account's environment is set), else none: missing patches are then only advisories.
 */
async function createCatalog(options: { patches?: string; kube?: boolean }, namespaces: readonly string[], logger: Logger): Promise<CatalogSource> {
  if (options.patches) {
    const catalog = createDirectoryCatalog({ dir: options.patches, logger });
    await catalog.ready;
    return catalog;
  }
  const inCluster = process.env.KUBERNETES_SERVICE_HOST !== undefined;
  if (options.kube ?? inCluster) {
    // The watch follows the namespaces of the policy at start-up; a change needs a restart.
    return createKubeCatalog({ namespaces, logger });
  }
  logger.warn("no ContainerPatch catalog (--patches or --kube): workload-missing-patch only warns");
  return createNoCatalog();
}

program
  .command("check")
  .description("check manifests (files, directories, - for stdin) with the webhook's rules; exit 1 when something would be denied, 2 on bad input")
  .argument("<paths...>", "files, directories (recursive .yaml/.yml/.json) or - for standard input")
  .addOption(flag("--policy <file>", "policy file (default: the bundled policies/default.yaml)"))
  .addOption(flag("--patches <dir>", "ContainerPatch catalog: YAML/JSON files (ContainerPatches in the input are added to it)"))
  .addOption(flag("--format <format>", "report format on stdout").choices(FORMATS).default("text"))
  .addOption(flag("--namespace <namespace>", "namespace of documents that have none").default("default"))
  .addOption(flag("--log-level <level>", "log level (logs go to stderr)").choices(LOG_LEVELS).default("warn"))
  // Usage errors exit 2 (DESIGN: check exits 1 only when something is denied); help exits 0.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : EXIT_USAGE))
  .action(async (paths: string[], options) => {
    const logger = createLogger(options.logLevel, 2);
    let policy;
    try {
      policy = await loadCheckPolicy(options.policy);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      for (const line of message.split("\n")) process.stderr.write(`kuma-guard check: ${line}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    process.exitCode = await runCheck(
      { paths, patches: options.patches, format: options.format, namespace: options.namespace },
      { policy, logger, version: VERSION, readStdin: () => readStream(process.stdin), stdout: process.stdout, stderr: process.stderr, env: process.env },
    );
  });

program
  .command("audit")
  .description("judge every ContainerPatch, Namespace and workload in the cluster (kubeconfig or in-cluster) with the webhook's rules; exit codes as check")
  .addOption(flag("--policy <file>", "policy file (default: the bundled policies/default.yaml)"))
  .addOption(flag("--format <format>", "report format on stdout").choices(FORMATS).default("text"))
  .addOption(new Option("--namespace <namespace>", "only objects in this namespace (default: all namespaces)"))
  .addOption(new Option("--selector <selector>", "only objects with these labels (a label selector: app=web,tier!=db)"))
  .addOption(flag("--page-size <objects>", "objects per list page").argParser(integer(1, 10_000)).default(500))
  .addOption(flag("--log-level <level>", "log level (logs go to stderr)").choices(LOG_LEVELS).default("warn"))
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : EXIT_USAGE))
  .action(async (options) => {
    const { runAuditFromCli } = await import("./audit/command.js");
    process.exitCode = await runAuditFromCli(options, createLogger(options.logLevel, 2));
  });

program
  .command("version")
  .description("print kuma-guard's and Node's versions")
  .action(() => {
    process.stdout.write(`kuma-guard ${VERSION} (node ${process.version})\n`);
  });

program.parseAsync().catch((error: unknown) => {
  // A PolicyLoadError's message is one problem a line, each naming the file and field.
  const message = error instanceof Error ? error.message : String(error);
  for (const line of message.split("\n")) process.stderr.write(`kuma-guard: ${line}\n`);
  process.exit(2);
});
