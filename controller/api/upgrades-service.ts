/**
 * The verbs release engineers use — create, status, pause, resume, promote, abort — over an
 * UpgradeStore. The HTTP API and the CLI both end here, so they refuse the same things with
 * the same messages. Writes retry on resourceVersion conflicts.
 */
import { randomUUID } from "node:crypto";
import { Phase, TERMINAL_PHASES } from "../engine/phases.js";
import { initialStatus } from "../engine/status.js";
import type { Command, UpgradeSpec } from "../engine/types.js";
import { parseUpgradeSpec } from "../upgrade-spec/validate.js";
import { DNS_LABEL_PATTERN } from "../upgrade-spec/schema.js";
import { echoQuoted } from "./echo.js";
import {
  keyString,
  UpgradeConflictError,
  type UpgradeKey,
  type UpgradeRecord,
  type UpgradeStore,
} from "../ports/upgrade-store.js";

/** The namespace an Upgrade goes to when a request names none. */
export const DEFAULT_NAMESPACE = "default";

/** A request that cannot be carried out as asked; `status` is the HTTP status to answer with. */
export class UpgradeRequestError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 409 | 415 | 422,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "UpgradeRequestError";
  }
}

const CONFLICT_RETRIES = 5;
const dnsLabel = new RegExp(DNS_LABEL_PATTERN);

/** Dependencies of {@link UpgradesService}. */
export interface UpgradesServiceDeps {
  readonly store: UpgradeStore;
  readonly clock?: () => number;
}

/** The user-facing verbs over Upgrades. */
export class UpgradesService {
  private readonly store: UpgradeStore;
  private readonly clock: () => number;

  constructor(deps: UpgradesServiceDeps) {
    this.store = deps.store;
    this.clock = deps.clock ?? Date.now;
  }

  /**
   * Creates an Upgrade after validating its spec (G6): refused with every problem listed, and
   * refused when a service of it is already being upgraded by an active Upgrade.
   */
  async create(key: UpgradeKey, specInput: unknown): Promise<UpgradeRecord> {
    for (const [what, value] of [
      ["upgrade name", key.name],
      ["namespace", key.namespace],
    ] as const) {
      if (value.length > 63 || !dnsLabel.test(value)) {
        throw new UpgradeRequestError(
          `${what} ${echoQuoted(value)} is not a DNS label: use lower-case letters, digits and '-', at most 63 characters`,
          400,
        );
      }
    }
    const spec: UpgradeSpec = parseUpgradeSpec(specInput);
    const active = (await this.store.list(key.namespace)).filter(
      (u) => !TERMINAL_PHASES.includes(u.status.phase),
    );
    for (const other of active) {
      const shared = other.spec.services.filter((s) => spec.services.some((m) => m.name === s.name));
      if (shared.length > 0) {
        throw new UpgradeRequestError(
          `upgrade ${other.name} is still ${other.status.phase} on ${shared.map((s) => s.name).join(", ")} in namespace ${key.namespace}; wait for it to finish or abort it first`,
          409,
        );
      }
    }
    const now = this.clock();
    return this.store.create({
      namespace: key.namespace,
      name: key.name,
      spec,
      status: initialStatus(now),
      createdAt: now,
    });
  }

  get(key: UpgradeKey): Promise<UpgradeRecord> {
    return this.store.get(key);
  }

  /** Every Upgrade, or those of one namespace. */
  list(namespace?: string): Promise<readonly UpgradeRecord[]> {
    return this.store.list(namespace);
  }

  /** Holds the upgrade in its current phase. */
  pause(key: UpgradeKey): Promise<UpgradeRecord> {
    return this.mutate(
      key,
      (u) => this.store.updateSpec(u, u.resourceVersion, { ...u.spec, paused: true }),
      "pause",
    );
  }

  /** Lets a paused upgrade go on. */
  resume(key: UpgradeKey): Promise<UpgradeRecord> {
    return this.mutate(
      key,
      (u) => this.store.updateSpec(u, u.resourceVersion, { ...u.spec, paused: false }),
      "resume",
    );
  }

  /** Jumps the enrolment weight to 100 (refused by the engine once past Shifting). */
  promote(key: UpgradeKey): Promise<UpgradeRecord> {
    return this.command(key, "promote");
  }

  /** Rolls back; refused once Finalizing has begun (the old version is being removed). */
  abort(key: UpgradeKey): Promise<UpgradeRecord> {
    return this.command(key, "abort");
  }

  private command(key: UpgradeKey, kind: Command["kind"]): Promise<UpgradeRecord> {
    return this.mutate(
      key,
      (u) => {
        if (kind === "abort" && (u.status.phase === Phase.Finalizing || u.status.phase === Phase.Succeeded)) {
          throw new UpgradeRequestError(
            `abort refused: upgrade ${keyString(key)} is ${u.status.phase} and the old version is being removed; it can only complete`,
            409,
          );
        }
        return this.store.setCommand(u, u.resourceVersion, { kind, token: randomUUID() });
      },
      kind,
    );
  }

  private async mutate(
    key: UpgradeKey,
    write: (u: UpgradeRecord) => Promise<UpgradeRecord>,
    verb: string,
  ): Promise<UpgradeRecord> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.store.get(key);
      if (TERMINAL_PHASES.includes(current.status.phase)) {
        throw new UpgradeRequestError(
          `${verb} refused: upgrade ${keyString(key)} has ended (${current.status.phase})`,
          409,
        );
      }
      try {
        return await write(current);
      } catch (err) {
        if (!(err instanceof UpgradeConflictError) || attempt >= CONFLICT_RETRIES) throw err;
      }
    }
  }
}
