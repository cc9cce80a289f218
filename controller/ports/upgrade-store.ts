/**
 * The UpgradeStore port: where Upgrades live. It is shaped like a namespaced Kubernetes custom
 * resource with a status subresource (ADR 0074):
 * - the user's spec, written only by users (create, pause, resume);
 * - the controller's status, written only by the controller, guarded by resourceVersion;
 * - user commands (promote, abort) as annotations `commands.tranquil.dev/<kind>: <token>`,
 *   so `kubectl annotate` alone can give them; a command is pending until its token is
 *   acknowledged in `status.engine.handledCommands`.
 * Every write carries the resourceVersion it read and fails with a 409 when it is stale (G5).
 * The Kubernetes backend keeps them in the `Upgrade` custom resource; the local backend in a
 * state file.
 */
import type { Command, UpgradeSpec, UpgradeStatus } from "../engine/types.js";

/** An Upgrade's identity: names are unique per namespace. */
export interface UpgradeKey {
  readonly namespace: string;
  readonly name: string;
}

/** One Upgrade as stored. */
export interface UpgradeRecord extends UpgradeKey {
  /**
   * The enrolment id: a DNS label unique across namespaces, derived from the namespace and
   * name by {@link enrolmentId} (route names, the enrolment header and trace records carry it).
   */
  readonly id: string;
  readonly spec: UpgradeSpec;
  readonly status: UpgradeStatus;
  /** Commands the resource carries (one per kind, the latest token); pending unless acknowledged. */
  readonly commands: readonly Command[];
  /** Changes on every write; a write with a stale one fails with `UpgradeConflictError`. */
  readonly resourceVersion: string;
  readonly createdAt: number;
}

/** What a user gives to create an Upgrade. */
export interface NewUpgrade extends UpgradeKey {
  readonly spec: UpgradeSpec;
  readonly status: UpgradeStatus;
  readonly createdAt: number;
}

/** A change seen by a watcher. */
export interface UpgradeEvent {
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
  readonly upgrade: UpgradeRecord;
}

/**
 * What a watch delivers. Like an informer: events as they happen, a resync with the full list
 * after (re)connecting, and errors while it reconnects. Events may be missed between an error
 * and the next resync; the resync is the truth.
 */
export interface UpgradeWatcher {
  onEvent(event: UpgradeEvent): void;
  /** Every Upgrade as listed after the watch (re)started; handle each as changed. */
  onResync?(upgrades: readonly UpgradeRecord[]): void;
  /** The watch failed and is being re-established with backoff; events may be missed meanwhile. */
  onError?(err: Error): void;
}

/** Formats a key as `namespace/name`. */
export function keyString(key: UpgradeKey): string {
  return `${key.namespace}/${key.name}`;
}

/** A write was made with a stale resourceVersion (HTTP 409 in Kubernetes terms). */
export class UpgradeConflictError extends Error {
  readonly status = 409;
  constructor(key: UpgradeKey, expected: string, actual: string) {
    super(
      `Upgrade ${keyString(key)}: resourceVersion ${expected} is stale (now ${actual}); read it again and retry`,
    );
    this.name = "UpgradeConflictError";
  }
}

/** The Upgrade does not exist (HTTP 404). */
export class UpgradeNotFoundError extends Error {
  readonly status = 404;
  constructor(key: UpgradeKey) {
    super(`Upgrade ${keyString(key)} not found; list upgrades with \`tranquil status\``);
    this.name = "UpgradeNotFoundError";
  }
}

/** An Upgrade with that name exists already in its namespace (HTTP 409). */
export class UpgradeExistsError extends Error {
  readonly status = 409;
  constructor(key: UpgradeKey) {
    super(`Upgrade ${keyString(key)} already exists; pick another name or wait for it to finish`);
    this.name = "UpgradeExistsError";
  }
}

/** Where Upgrades live. */
export interface UpgradeStore {
  get(key: UpgradeKey): Promise<UpgradeRecord>;
  /** Every Upgrade, or those of one namespace, oldest first. */
  list(namespace?: string): Promise<readonly UpgradeRecord[]>;
  create(upgrade: NewUpgrade): Promise<UpgradeRecord>;
  /** The user's spec write (pause, resume), if `resourceVersion` is current. */
  updateSpec(key: UpgradeKey, resourceVersion: string, spec: UpgradeSpec): Promise<UpgradeRecord>;
  /** The controller's status write (the status subresource), if `resourceVersion` is current. */
  updateStatus(key: UpgradeKey, resourceVersion: string, status: UpgradeStatus): Promise<UpgradeRecord>;
  /** Sets the command annotation of `command.kind` to its token, if `resourceVersion` is current. */
  setCommand(key: UpgradeKey, resourceVersion: string, command: Command): Promise<UpgradeRecord>;
  /** Starts a watch; returns the function that stops it. */
  watch(watcher: UpgradeWatcher): () => void;
  close(): Promise<void>;
}

/** Commands the record carries that the engine has not acknowledged yet. */
export function pendingCommands(record: UpgradeRecord): readonly Command[] {
  const handled = record.status.engine.handledCommands;
  return record.commands.filter((c) => !handled.includes(c.token));
}
