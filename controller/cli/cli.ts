/**
 * The `tranquil` command line (docs/cli.md): builds the commander program and runs it over
 * injected io, so tests call `runCli(argv, io)` in-process. Every failure ends as a message
 * that says what to do next and an exit status from exit-codes.ts.
 */
import { Command, CommanderError, Option } from "commander";
import { ApiClient, type UpgradeVerb } from "./api-client.js";
import type { UpgradesClient } from "./upgrades-client.js";
import { CliError } from "./cli-error.js";
import { addDashboardCommand, type OpenUrl } from "./dashboard.js";
import { demoSubcommand, realDemoDeps, type DemoDeps } from "./demo.js";
import { ExitCode } from "./exit-codes.js";
import { formatSeconds, formatServices, stepsOf, waitingMessage } from "./format.js";
import type { CliIo } from "./io.js";
import { renderUpgradeDetails, renderUpgradeTable } from "./status-view.js";
import { buildUpgradeRequest, type UpgradeFlags, type UpgradeRequest } from "./upgrade-request.js";
import { TERMINAL_PHASES } from "../engine/phases.js";
import { watchUpgrade } from "./watch.js";
import { awaitValidation, VALIDATION_TIMEOUT_MS } from "./await-validation.js";

/** Where the CLI looks for the controller when neither --server nor TRANQUIL_URL says. */
export const DEFAULT_SERVER = "http://127.0.0.1:7070";

/** Extra dependencies of {@link runCli}; tests replace the demo and shorten waits. */
export interface CliDeps {
  readonly demo?: DemoDeps;
  /** How long `upgrade` waits for validation (default {@link VALIDATION_TIMEOUT_MS}). */
  readonly validationTimeoutMs?: number;
  /** Opens `dashboard --open`'s URL (default: the platform's opener). */
  readonly openUrl?: OpenUrl;
}

interface GlobalFlags {
  readonly server?: string;
  readonly token?: string;
  readonly namespace?: string;
  readonly context?: string;
  readonly kubeconfig?: string;
}

/** What each user command says it asked for. */
const VERB_SAYS: Readonly<Record<UpgradeVerb, string>> = {
  pause: "paused: it holds in its current phase until `tranquil resume`",
  resume: "resumed: it goes on from where it was held",
  promote: "promote requested: the controller jumps the weight to 100 on its next step",
  abort: "abort requested: the controller rolls it back; follow it with `tranquil watch`",
};

/** Runs the CLI with `argv` (the arguments after the program name); resolves to the exit status. */
export async function runCli(argv: readonly string[], io: CliIo, deps: CliDeps = {}): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const closers: (() => Promise<void>)[] = [];
  const program = buildProgram(io, deps, (code) => (exitCode = code), closers);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.Ok : ExitCode.BadInput;
    if (err instanceof CliError) {
      io.stderr.write(`error: ${err.message}\n${err.details.map((d) => `  - ${d}\n`).join("")}`);
      return err.exitCode;
    }
    if (io.signal?.aborted) return ExitCode.Interrupted;
    io.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.Unavailable;
  } finally {
    await Promise.all(closers.map((close) => close().catch(() => undefined)));
  }
}

function buildProgram(
  io: CliIo,
  deps: CliDeps,
  setExit: (code: number) => void,
  closers: (() => Promise<void>)[],
): Command {
  const program = new Command("tranquil")
    .description("Zero-downtime, version-consistent upgrades for services behind Istio")
    .addOption(new Option("--server <url>", `controller URL (env TRANQUIL_URL, default ${DEFAULT_SERVER})`))
    .addOption(new Option("--token <token>", "API bearer token for changes (env TRANQUIL_TOKEN)"))
    .addOption(
      new Option(
        "--context <name>",
        "work on the cluster of this kubeconfig context, with your own credentials, instead of a controller's API",
      ),
    )
    .addOption(
      new Option(
        "--kubeconfig <path>",
        "the kubeconfig for --context (default KUBECONFIG or ~/.kube/config)",
      ),
    )
    .addOption(
      new Option(
        "-n, --namespace <namespace>",
        "namespace of the upgrades (env TRANQUIL_NAMESPACE; default: default, and `status` lists every namespace)",
      ),
    )
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      getOutHelpWidth: () => io.stdout.columns ?? 100,
      getErrHelpWidth: () => io.stderr.columns ?? 100,
    })
    .showHelpAfterError("(run `tranquil --help` for usage)");

  const client = async (cmd: Command): Promise<UpgradesClient> => {
    const flags = cmd.optsWithGlobals<GlobalFlags>();
    if (flags.context !== undefined || flags.kubeconfig !== undefined) {
      if (flags.server !== undefined) {
        throw new CliError(
          "give either --server (a controller's API) or --context (a cluster), not both",
          ExitCode.BadInput,
        );
      }
      // Loaded only here: the Kubernetes client takes most of a second to load, and the
      // commands over the controller's API do not need it.
      const [{ loadKubeContext }, { KubeUpgradesClient }, { KubeUpgradeStore }] = await Promise.all([
        import("./kube-context.js"),
        import("./kube-client.js"),
        import("../kubernetes/upgrades/kube-upgrade-store.js"),
      ]);
      const kc = loadKubeContext(flags.kubeconfig, flags.context);
      const namespace = flags.namespace ?? io.env["TRANQUIL_NAMESPACE"];
      const store = await KubeUpgradesClient.openStore(kc, () => KubeUpgradeStore.open({ kc }));
      closers.push(() => store.close());
      return new KubeUpgradesClient({
        store,
        namespace,
        context: kc.getCurrentContext(),
        signal: io.signal,
      });
    }
    return new ApiClient({
      server: checkServer(
        flags.server ?? io.env["TRANQUIL_URL"] ?? DEFAULT_SERVER,
        flags.server !== undefined,
      ),
      token: flags.token ?? io.env["TRANQUIL_TOKEN"],
      namespace: flags.namespace ?? io.env["TRANQUIL_NAMESPACE"],
      fetch: io.fetch,
      signal: io.signal,
    });
  };
  const print = (lines: readonly string[]): void => {
    io.stdout.write(lines.map((l) => `${l}\n`).join(""));
  };

  program
    .command("upgrade")
    .description("start an upgrade of one service, or several together (a release train)")
    .argument("<service...>", "services to upgrade")
    .requiredOption(
      "--to <version>",
      "the new version (its `version` label and subset); <service>=<version> per service (repeatable)",
      collect,
    )
    .option(
      "--from <version>",
      "the version running today; <service>=<version> per service (repeatable)",
      collect,
    )
    .option("--name <name>", "the upgrade's name (default <first-service>-<to>)")
    .option(
      "--image <ref>",
      "image of the new version; <service>=<ref> with several services (repeatable)",
      collect,
      [],
    )
    .option("--steps <list>", "enrolment weights in percent, e.g. 10,50,100")
    .option(
      "--step-interval <duration>",
      "analysis window per step, e.g. 20s (default: the controller's, 30s; 5s under `tranquil demo --serve`)",
    )
    .option("--watch", "follow the upgrade until it ends")
    .option("--no-wait", "return once it is created, without waiting for the controller to validate it")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  tranquil upgrade auth-service --from v1 --to v2 --watch",
        "  tranquil upgrade auth-service order-service --from v1 --to v2 --steps 10,50,100 --step-interval 20s",
        "  tranquil upgrade auth-service --from v1 --to v2 --image registry.local/auth-service:2.0.0",
        "  tranquil upgrade auth-service order-service --from auth-service=v1 --from order-service=v3 --to v4",
      ].join("\n"),
    )
    .action(
      async (services: string[], flags: UpgradeFlags & { watch?: boolean; wait: boolean }, cmd: Command) => {
        const request = buildUpgradeRequest(services, flags);
        const api = await client(cmd);
        const created = await api.create(request.name, request.spec).catch(async (err: unknown) => {
          throw await explainTakenName(api, request, err);
        });
        print([
          `upgrade ${created.name} created: ${formatServices(created)}, steps ${stepsOf(created).join(",")}`,
        ]);
        if (flags.watch) {
          setExit(await watchUpgrade(api, created.name, io, { refusalIsBadInput: true }));
          return;
        }
        if (!flags.wait) {
          print([`follow it with \`tranquil watch ${created.name}\``]);
          return;
        }
        const timeoutMs = deps.validationTimeoutMs ?? VALIDATION_TIMEOUT_MS;
        const outcome = await awaitValidation(api, created.name, timeoutMs, io.signal);
        if (outcome.kind === "refused") {
          throw new CliError(
            `the controller refused upgrade ${created.name} while validating it: ${outcome.reason}`,
            ExitCode.BadInput,
            [
              `it stays as ${created.name} (Failed); fix the command and run it again with another --name, or see \`tranquil status ${created.name}\``,
            ],
          );
        }
        if (outcome.kind === "timedOut") {
          const waiting = outcome.view === undefined ? undefined : waitingMessage(outcome.view);
          throw new CliError(
            `upgrade ${created.name} is still Validating after ${formatSeconds(timeoutMs / 1000)}${waiting !== undefined ? ` (${waiting})` : ""}: is the controller running? The upgrade exists and starts once the controller validates it; follow it with \`tranquil watch ${created.name}\``,
            ExitCode.Unavailable,
          );
        }
        print([
          `validated: now ${outcome.view.status.phase}; follow it with \`tranquil watch ${created.name}\``,
        ]);
      },
    );

  program
    .command("status")
    .description("list upgrades, or show one upgrade's details, conditions and recent history")
    .argument("[name]", "an upgrade's name")
    .option("--json", "print the API's JSON")
    .action(async (name: string | undefined, flags: { json?: boolean }, cmd: Command) => {
      const api = await client(cmd);
      if (name === undefined) {
        const views = await api.list();
        print(flags.json ? [JSON.stringify(views, null, 2)] : renderUpgradeTable(views, io.now()));
      } else {
        const view = await api.get(name);
        print(flags.json ? [JSON.stringify(view, null, 2)] : renderUpgradeDetails(view));
      }
    });

  for (const verb of ["pause", "resume", "promote", "abort"] as const) {
    program
      .command(verb)
      .description(VERB_DESCRIPTIONS[verb])
      .argument("<name>", "the upgrade's name")
      .action(async (name: string, _flags: unknown, cmd: Command) => {
        const view = await (await client(cmd)).command(name, verb);
        print([
          `upgrade ${view.name} ${VERB_SAYS[verb]} (now ${view.status.phase}, weight ${view.status.weight}%)`,
        ]);
      });
  }

  program
    .command("watch")
    .description("follow an upgrade's progress until it ends (exit 0 Succeeded, 1 Failed or RolledBack)")
    .argument("<name>", "the upgrade's name")
    .action(async (name: string, _flags: unknown, cmd: Command) => {
      setExit(await watchUpgrade(await client(cmd), name, io));
    });

  addDashboardCommand(program, io, {
    server: (cmd) => {
      const flags = cmd.optsWithGlobals<GlobalFlags>();
      return checkServer(
        flags.server ?? io.env["TRANQUIL_URL"] ?? DEFAULT_SERVER,
        flags.server !== undefined,
      );
    },
    kubeContext: (cmd) => {
      const flags = cmd.optsWithGlobals<GlobalFlags>();
      return flags.context !== undefined || flags.kubeconfig !== undefined;
    },
    namespace: (cmd) => cmd.optsWithGlobals<GlobalFlags>().namespace ?? io.env["TRANQUIL_NAMESPACE"],
    ...(deps.openUrl !== undefined ? { open: deps.openUrl } : {}),
  });

  program.addCommand(demoSubcommand(program, deps.demo ?? realDemoDeps, setExit));

  return program;
}

const VERB_DESCRIPTIONS: Readonly<Record<UpgradeVerb, string>> = {
  pause: "hold an upgrade in its current phase",
  resume: "let a paused upgrade go on",
  promote: "jump the enrolment weight to 100 (while Shifting)",
  abort: "roll an upgrade back (refused once Finalizing has begun)",
};

/**
 * A create refused with 409 because the name is taken: says whether its holder has ended
 * (ended upgrades keep their names) and how to go on, instead of "wait for it to finish".
 * Any other error is returned as it is.
 */
async function explainTakenName(
  api: UpgradesClient,
  request: UpgradeRequest,
  err: unknown,
): Promise<unknown> {
  if (!(err instanceof CliError) || err.status !== 409) return err;
  const holder = await api.get(request.name).catch(() => undefined);
  if (holder === undefined) return err;
  const name = request.name;
  const rename =
    `${name}-2`.length <= 63 ? `choose another --name, e.g. --name ${name}-2` : "choose another --name";
  if (TERMINAL_PHASES.includes(holder.status.phase)) {
    return new CliError(
      `upgrade ${name} already exists and has ended (${holder.status.phase}); an ended upgrade keeps its name, so ${rename}`,
      ExitCode.BadInput,
      [
        `or delete the ended one first: on a cluster, \`kubectl delete upgrade ${name} -n ${holder.namespace}\` (the controller's API does not delete upgrades)`,
      ],
      { cause: err, status: 409 },
    );
  }
  const overlaps = holder.spec.services.some((s) => request.spec.services.some((r) => r.name === s.name));
  if (overlaps) return err;
  return new CliError(
    `upgrade ${name} already exists and is still ${holder.status.phase} (${formatServices(holder)}); ${rename}, or follow it with \`tranquil watch ${name}\``,
    ExitCode.BadInput,
    [],
    { cause: err, status: 409 },
  );
}

/** The controller URL, refused (exit 2) unless it is http(s). */
function checkServer(server: string, fromFlag: boolean): string {
  let url: URL | undefined;
  try {
    url = new URL(server);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== "http:" && url?.protocol !== "https:") {
    throw new CliError(
      `${fromFlag ? "--server" : "TRANQUIL_URL"} "${server}" is not an http(s) URL; write e.g. ${DEFAULT_SERVER}`,
      ExitCode.BadInput,
    );
  }
  return server;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
