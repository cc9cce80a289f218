/**
 * The CLI against a cluster, through kubeconfig: the same verbs as over the HTTP API, done on
 * the Upgrade resources themselves with the user's own credentials (RBAC decides who may
 * create, pause or abort). Creating and commanding go through the same UpgradesService the
 * API uses, so refusals read the same; following an upgrade is a watch, not polling.
 */
import { TERMINAL_PHASES } from "../engine/phases.js";
import { DEFAULT_NAMESPACE, UpgradesService } from "../api/upgrades-service.js";
import { toView, type UpgradeView } from "../api/view.js";
import type { UpgradeStore } from "../ports/upgrade-store.js";
import type { UpgradeSpec } from "../upgrade-spec/schema.js";
import { InvalidSpecError } from "../upgrade-spec/validate.js";
import { CliError } from "./cli-error.js";
import { ExitCode } from "./exit-codes.js";
import type { UpgradesClient, UpgradeVerb } from "./upgrades-client.js";

/** Options of {@link KubeUpgradesClient}. */
export interface KubeUpgradesClientOptions {
  readonly store: UpgradeStore;
  /** The namespace of the Upgrades it names; unset: `default`, and lists show every namespace. */
  readonly namespace?: string | undefined;
  /** The kubeconfig context, for messages. */
  readonly context: string;
  readonly signal?: AbortSignal | undefined;
}

/** Upgrades on a cluster, for the CLI. */
export class KubeUpgradesClient implements UpgradesClient {
  private readonly service: UpgradesService;

  /** Opens the cluster's store; an unreachable cluster exits 3, a missing CRD or RBAC refusal 2. */
  static async openStore<S extends UpgradeStore>(
    kc: { getCurrentContext(): string },
    open: () => Promise<S>,
  ): Promise<S> {
    try {
      return await open();
    } catch (err) {
      const status = (err as { status?: unknown }).status;
      const message = err instanceof Error ? err.message : String(err);
      const where = `the cluster of context "${kc.getCurrentContext()}"`;
      if (typeof status === "number" && status >= 400 && status < 500 && status !== 404) {
        throw new CliError(`${where}: ${message}`, ExitCode.BadInput, [], { cause: err });
      }
      throw new CliError(`${where}: ${message}`, ExitCode.Unavailable, [], { cause: err });
    }
  }

  constructor(private readonly options: KubeUpgradesClientOptions) {
    this.service = new UpgradesService({ store: options.store });
  }

  async list(): Promise<readonly UpgradeView[]> {
    return (await this.run(() => this.service.list(this.options.namespace))).map(toView);
  }

  async get(name: string): Promise<UpgradeView> {
    return toView(await this.run(() => this.service.get(this.key(name))));
  }

  async create(name: string, spec: UpgradeSpec): Promise<UpgradeView> {
    return toView(await this.run(() => this.service.create(this.key(name), spec)));
  }

  async command(name: string, verb: UpgradeVerb): Promise<UpgradeView> {
    return toView(await this.run(() => this.service[verb](this.key(name))));
  }

  async *events(name: string, signal?: AbortSignal): AsyncGenerator<UpgradeView> {
    const key = this.key(name);
    const own = this.options.signal;
    const halt = signal === undefined ? own : own === undefined ? signal : AbortSignal.any([own, signal]);
    const queue: UpgradeView[] = [];
    let wake: (() => void) | undefined;
    let gone = false;
    let failure: Error | undefined;
    const push = (): void => {
      wake?.();
      wake = undefined;
    };
    const stop = this.options.store.watch({
      onEvent: (e) => {
        if (e.upgrade.namespace !== key.namespace || e.upgrade.name !== key.name) return;
        if (e.type === "DELETED") gone = true;
        else queue.push(toView(e.upgrade));
        push();
      },
      onError: (err) => {
        failure = err;
        push();
      },
    });
    const abort = (): void => push();
    halt?.addEventListener("abort", abort);
    try {
      let last = await this.get(name);
      yield last;
      while (!TERMINAL_PHASES.includes(last.status.phase)) {
        if (halt?.aborted === true) throw new DOMException("interrupted", "AbortError");
        const next = queue.shift();
        if (next !== undefined) {
          last = next;
          yield last;
          continue;
        }
        if (gone) return;
        if (failure !== undefined) {
          // The watch restarts by itself; say nothing unless it stays down.
          const err = failure;
          failure = undefined;
          last = await this.get(name).catch(() => {
            throw this.unavailable(err);
          });
          yield last;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      halt?.removeEventListener("abort", abort);
      stop();
    }
  }

  private key(name: string) {
    return { namespace: this.options.namespace ?? DEFAULT_NAMESPACE, name };
  }

  private unavailable(err: Error): CliError {
    return new CliError(
      `the cluster of context "${this.options.context}": ${err.message}`,
      ExitCode.Unavailable,
      [],
      {
        cause: err,
      },
    );
  }

  /** Runs a verb; refusals (4xx) exit 2 as the API's do, an unreachable cluster exits 3. */
  private async run<T>(verb: () => Promise<T>): Promise<T> {
    try {
      return await verb();
    } catch (err) {
      if (err instanceof InvalidSpecError) {
        throw new CliError(
          "the cluster refused the upgrade; fix these and try again:",
          ExitCode.BadInput,
          err.problems.map((p) => (p.path !== "" ? `${p.path}: ${p.message}` : p.message)),
        );
      }
      const status = (err as { status?: unknown }).status;
      if (typeof status === "number" && status >= 400 && status < 500) {
        throw new CliError((err as Error).message, ExitCode.BadInput, [], { cause: err, status });
      }
      throw this.unavailable(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
