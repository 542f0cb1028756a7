#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from "commander";
import type { CommanderError } from "commander";
import { DEFAULT_MAX_BODY } from "./limits.js";
import { LOG_LEVELS } from "./logger.js";
import { EXIT_USAGE, FORMATS } from "./report/model.js";
import { VERSION } from "./version.js";
import type { CatalogSource } from "./catalog/types.js";
import type { Logger } from "./logger.js";
import type { RunningServer } from "./server/serve.js";

// Wires dependencies; all behaviour lives in the modules it calls. Each command imports what
// it needs when it runs: `check` in a pre-commit hook must not pay for express, prom-client
// or the Kubernetes client at start-up.

// Node >= 22.1 keeps compiled code between runs (a pre-commit hook starts kuma-guard on every
// commit); Node 20 has no such API and runs as before.
((await import("node:module")) as { enableCompileCache?: () => unknown }).enableCompileCache?.();

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
  return option.env(
    `KUMA_GUARD_${option
      .attributeName()
      .replace(/[A-Z]/g, (c) => `_${c}`)
      .toUpperCase()}`,
  );
}

/**
 * Usage errors as one line, as kubectl and conftest print them: commander's suggestion joins
 * the error line, then a pointer to --help instead of the whole help.
 */
function oneLineError(text: string, write: (text: string) => void): void {
  write(`${text.replace(/\n\(Did you mean (.*)\?\)/, " (did you mean $1?)").trimEnd()}\n`);
}

/** Help and --version exit 0; every usage error exits 2 (DESIGN: 1 means "something would be denied"). */
function exitOnUsageError(error: CommanderError): never {
  process.exit(error.exitCode === 0 ? 0 : EXIT_USAGE);
}

const program = new Command()
  .name("kuma-guard")
  .description("Validating admission webhook and offline checker for Kuma ContainerPatches and kuma.io annotations.")
  .version(VERSION, "-V, --version", "print the version")
  .configureOutput({ outputError: oneLineError })
  .exitOverride(exitOnUsageError)
  .showHelpAfterError("Run 'kuma-guard --help' for usage")
  .addHelpText(
    "after",
    `
Examples:
  kuma-guard check deploy/                         check manifests before they reach the cluster
  helm template shop ./chart | kuma-guard check -  check a chart's rendered output
  kuma-guard serve --tls-cert tls.crt --tls-key tls.key
                                                   run the webhook`,
  );

program
  .command("serve")
  .description("run the admission webhook server")
  .showHelpAfterError("Run 'kuma-guard serve --help' for usage")
  .addOption(flag("--policy <file>", "policy file (default: the bundled policies/default.yaml)"))
  .addOption(flag("--patches <dir>", "ContainerPatch catalog: YAML/JSON files, re-read on change"))
  .addOption(
    flag("--kube", "ContainerPatch catalog from the Kubernetes API (list+watch the control-plane namespaces; default inside a cluster)"),
  )
  .addOption(new Option("--no-kube", "never read ContainerPatches from the Kubernetes API, even inside a cluster"))
  .addOption(flag("--port <port>", "webhook port").argParser(integer(0, 65535)).default(9443))
  .addOption(flag("--host <host>", "address to listen on, also for --metrics-port (the Deployment sets 0.0.0.0)").default("127.0.0.1"))
  .addOption(flag("--tls-cert <file>", "serving certificate (PEM), re-read when it changes"))
  .addOption(flag("--tls-key <file>", "serving key (PEM), re-read when it changes"))
  .addOption(flag("--insecure-http", "serve plain HTTP (local use and tests only: the API server requires HTTPS)"))
  .addOption(
    flag("--metrics-port <port>", "plain-HTTP listener for /metrics, /healthz, /readyz (then /metrics is served only there)").argParser(
      integer(0, 65535),
    ),
  )
  .addOption(
    flag(
      "--client-ca <file>",
      "CA bundle (PEM): the webhook port refuses clients without a certificate it signed; re-read when it changes",
    ),
  )
  .addOption(flag("--client-cn <name>", "with --client-ca: the common name the client certificate must carry (e.g. the API server's)"))
  .addOption(
    flag("--shutdown-delay <seconds>", "on SIGTERM, keep serving this long with /readyz failing").argParser(integer(0, 3600)).default(5),
  )
  .addOption(
    flag("--max-body <bytes>", "largest AdmissionReview accepted (413 above)")
      .argParser(integer(1024, 1 << 30))
      .default(DEFAULT_MAX_BODY),
  )
  .addOption(flag("--kuma-version <version>", "the Kuma minor judged against (2.11, 2.13, 2.14); the policy's spec.kuma.version wins"))
  .addOption(
    flag("--kuma-config <file>", "the control plane's config.yaml (kuma-control-plane-config): injector settings and default patches"),
  )
  .addOption(
    flag(
      "--audit-interval <duration>",
      "with --kube: audit the whole cluster this often (Go duration, e.g. 10m; one replica at a time, chosen with a Lease)",
    ).argParser(auditInterval),
  )
  .addOption(flag("--policy-reports", "with --audit-interval: write the audit's findings as wgpolicyk8s.io PolicyReports"))
  .addOption(flag("--log-level <level>", "log level").choices(LOG_LEVELS).default("info"))
  .action(async (options) => {
    const [{ createLogger }, { createPolicyStore }, { serve }] = await Promise.all([
      import("./logger.js"),
      import("./policy/index.js"),
      import("./server/serve.js"),
    ]);
    const logger = createLogger(options.logLevel);
    let running: RunningServer | undefined;
    let namespaces: readonly string[] = [];
    const policies = await createPolicyStore({
      file: options.policy,
      logger,
      metrics: () => running?.metrics,
      onReload: (policy) => {
        if (policy.settings.controlPlaneNamespaces.join() !== namespaces.join()) {
          logger.warn(
            { watched: namespaces, policy: policy.settings.controlPlaneNamespaces },
            "controlPlaneNamespaces changed: restart kuma-guard so the catalog follows",
          );
        }
      },
    });
    namespaces = policies.current().settings.controlPlaneNamespaces;
    const { clusterControlPlaneFacts, controlPlaneFactsOf } = await import("./model.js");
    const flagFacts = await controlPlaneFactsOf(options);
    const kube = options.patches === undefined && (options.kube ?? process.env.KUBERNETES_SERVICE_HOST !== undefined);
    // With --kube the control plane itself says which Kuma runs; the flags still win.
    const controlPlane = kube && namespaces[0] !== undefined ? await clusterControlPlaneFacts(namespaces[0], flagFacts, logger) : flagFacts;
    const catalog = await createCatalog(options, namespaces, logger);
    const { auditServices } = await import("./audit/serve-options.js");
    const startAudit = await auditServices(options, {
      inCluster: process.env.KUBERNETES_SERVICE_HOST !== undefined,
      logger,
      policy: policies.current,
      version: VERSION,
      controlPlane,
    });
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
      { logger, policy: policies.current, catalog, controlPlane, ...(startAudit ? { startAudit } : {}) },
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
async function createCatalog(
  options: { patches?: string; kube?: boolean },
  namespaces: readonly string[],
  logger: Logger,
): Promise<CatalogSource> {
  if (options.patches) {
    const { createDirectoryCatalog } = await import("./catalog/directory.js");
    const catalog = createDirectoryCatalog({ dir: options.patches, logger });
    await catalog.ready;
    return catalog;
  }
  const inCluster = process.env.KUBERNETES_SERVICE_HOST !== undefined;
  if (options.kube ?? inCluster) {
    // The watch follows the namespaces of the policy at start-up; a change needs a restart.
    const { createKubeCatalog } = await import("./catalog/kube.js");
    return createKubeCatalog({ namespaces, logger });
  }
  logger.warn("no ContainerPatch catalog (--patches or --kube): workload-missing-patch only warns");
  const { createNoCatalog } = await import("./catalog/types.js");
  return createNoCatalog();
}

program
  .command("check")
  .description(
    "check manifests (files, directories, - for stdin) with the webhook's rules; exit 1 when something would be denied, 2 on bad input",
  )
  .showHelpAfterError("Run 'kuma-guard check --help' for usage")
  .argument("<paths...>", "files, directories (recursive .yaml/.yml/.json) or - for standard input")
  .addOption(flag("--policy <file>", "policy file (default: the bundled policies/default.yaml)"))
  .addOption(flag("--patches <dir>", "ContainerPatch catalog: YAML/JSON files (ContainerPatches in the input are added to it)"))
  .addOption(flag("-o, --format <format>", "report format on stdout (--output is the same flag)").choices(FORMATS).default("text"))
  .addOption(new Option("--output <format>").choices(FORMATS).hideHelp())
  .addOption(flag("--namespace <namespace>", "namespace of documents that have none").default("default"))
  .addOption(
    flag("--kuma-version <version>", "the Kuma minor judged against (2.11, 2.13, 2.14; default 2.14); the policy's spec.kuma.version wins"),
  )
  .addOption(
    flag("--kuma-config <file>", "the control plane's config.yaml (kuma-control-plane-config): injector settings and default patches"),
  )
  .addOption(flag("--log-level <level>", "log level (logs go to stderr)").choices(LOG_LEVELS).default("warn"))
  .addHelpText(
    "after",
    `
Examples:
  kuma-guard check deploy/                                  every .yaml/.yml/.json under deploy/
  helm template shop ./chart -n shop | kuma-guard check --namespace shop -
                                                            Helm output; findings name the chart's templates
  kuma-guard check -o sarif deploy/ > kuma-guard.sarif      for GitHub code scanning
  kuma-guard check -o github deploy/                        annotations in a GitHub Actions log
  kuma-guard check -o junit deploy/ > kuma-guard.xml        for GitLab's test report
  kuma-guard check --patches platform/patches/ apps/        against the patches already in the cluster

Exit codes: 0 nothing denied, 1 something would be denied, 2 unreadable input or usage error.`,
  )
  .action(async (paths: string[], options) => {
    const [{ createLazyLogger, createLogger }, { loadCheckPolicy, readStream, runCheck }, { controlPlaneFactsOf }] = await Promise.all([
      import("./logger.js"),
      import("./check.js"),
      import("./model.js"),
    ]);
    const logger = createLazyLogger(options.logLevel, () => createLogger(options.logLevel, 2));
    let policy;
    let controlPlane;
    try {
      policy = await loadCheckPolicy(options.policy);
      controlPlane = await controlPlaneFactsOf(options);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      for (const line of message.split("\n")) process.stderr.write(`kuma-guard check: ${line}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    process.exitCode = await runCheck(
      { paths, patches: options.patches, format: options.output ?? options.format, namespace: options.namespace },
      {
        policy,
        controlPlane,
        logger,
        version: VERSION,
        readStdin: () => readStream(process.stdin),
        stdout: process.stdout,
        stderr: process.stderr,
        env: process.env,
      },
    );
  });

program
  .command("audit")
  .description(
    "judge every ContainerPatch, Namespace and workload in the cluster (kubeconfig or in-cluster) with the webhook's rules; exit codes as check",
  )
  .addOption(flag("--policy <file>", "policy file (default: the bundled policies/default.yaml)"))
  .addOption(flag("-o, --format <format>", "report format on stdout (--output is the same flag)").choices(FORMATS).default("text"))
  .addOption(new Option("--output <format>").choices(FORMATS).hideHelp())
  .addOption(new Option("--namespace <namespace>", "only objects in this namespace (default: all namespaces)"))
  .addOption(new Option("--selector <selector>", "only objects with these labels (a label selector: app=web,tier!=db)"))
  .addOption(flag("--page-size <objects>", "objects per list page").argParser(integer(1, 10_000)).default(500))
  .addOption(
    flag("--kuma-version <version>", "the Kuma minor judged against (2.11, 2.13, 2.14; default 2.14); the policy's spec.kuma.version wins"),
  )
  .addOption(
    flag("--kuma-config <file>", "the control plane's config.yaml (kuma-control-plane-config): injector settings and default patches"),
  )
  .addOption(flag("--log-level <level>", "log level (logs go to stderr)").choices(LOG_LEVELS).default("warn"))
  .showHelpAfterError("Run 'kuma-guard audit --help' for usage")
  .action(async (options) => {
    const [{ createLogger }, { runAuditFromCli }] = await Promise.all([import("./logger.js"), import("./audit/command.js")]);
    process.exitCode = await runAuditFromCli({ ...options, format: options.output ?? options.format }, createLogger(options.logLevel, 2));
  });

program
  .command("model")
  .description(
    "print the Kuma judged against: version and its source, injector settings, default patches, the rendered kuma-sidecar and kuma-init",
  )
  .showHelpAfterError("Run 'kuma-guard model --help' for usage")
  .addOption(flag("--policy <file>", "policy file (default: the bundled policies/default.yaml)"))
  .addOption(flag("--kuma-version <version>", "the Kuma minor (2.11, 2.13, 2.14); the policy's spec.kuma.version wins"))
  .addOption(flag("--kuma-config <file>", "the control plane's config.yaml (kuma-control-plane-config)"))
  .addOption(flag("-o, --format <format>", "yaml or json").choices(["yaml", "json"]).default("yaml"))
  .action(async (options) => {
    const [{ loadCheckPolicy }, { controlPlaneFactsOf, describeModel }, { stringify }] = await Promise.all([
      import("./check.js"),
      import("./model.js"),
      import("yaml"),
    ]);
    try {
      const model = describeModel(await loadCheckPolicy(options.policy), await controlPlaneFactsOf(options));
      process.stdout.write(options.format === "json" ? `${JSON.stringify(model, null, 2)}\n` : stringify(model));
    } catch (error) {
      for (const line of (error instanceof Error ? error.message : String(error)).split("\n"))
        process.stderr.write(`kuma-guard model: ${line}\n`);
      process.exitCode = EXIT_USAGE;
    }
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
