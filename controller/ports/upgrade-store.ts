/**
 * The UpgradeStore port: where an Upgrade's spec, status and pending user commands live.
 * The Kubernetes backend keeps them in the `Upgrade` custom resource; the local backend in a
 * state file. Every write carries the resourceVersion it read (optimistic concurrency, G5).
 */
import type { Command, UpgradeSpec, UpgradeStatus } from "../engine/types.js";

/** One Upgrade as stored. */
export interface UpgradeRecord {
  /** The Upgrade's name: a DNS label, also its enrolment id. */
  readonly id: string;
  readonly spec: UpgradeSpec;
  readonly status: UpgradeStatus;
  /** User commands (promote, abort) not yet handled by the engine. */
  readonly commands: readonly Command[];
  /** Changes on every write; a write with a stale one fails with `UpgradeConflictError`. */
  readonly resourceVersion: string;
  readonly createdAt: number;
}

/** A change seen by a watcher. */
export interface UpgradeEvent {
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
  readonly upgrade: UpgradeRecord;
}

/** A write was made with a stale resourceVersion (HTTP 409 in Kubernetes terms). */
export class UpgradeConflictError extends Error {
  readonly status = 409;
  constructor(id: string, expected: string, actual: string) {
    super(`Upgrade ${id}: resourceVersion ${expected} is stale (now ${actual}); read it again and retry`);
    this.name = "UpgradeConflictError";
  }
}

/** The Upgrade does not exist (HTTP 404). */
export class UpgradeNotFoundError extends Error {
  readonly status = 404;
  constructor(id: string) {
    super(`Upgrade ${id} not found; list upgrades with \`tranquil status\``);
    this.name = "UpgradeNotFoundError";
  }
}

/** An Upgrade with that name exists already (HTTP 409). */
export class UpgradeExistsError extends Error {
  readonly status = 409;
  constructor(id: string) {
    super(`Upgrade ${id} already exists; pick another name or wait for it to finish`);
    this.name = "UpgradeExistsError";
  }
}

/** Where Upgrades live. */
export interface UpgradeStore {
  get(id: string): Promise<UpgradeRecord>;
  list(): Promise<readonly UpgradeRecord[]>;
  create(record: Omit<UpgradeRecord, "resourceVersion">): Promise<UpgradeRecord>;
  /** Replaces spec, status and commands if `record.resourceVersion` is current. */
  update(record: UpgradeRecord): Promise<UpgradeRecord>;
  /** Calls `handler` for every later change; returns the unsubscribe function. */
  watch(handler: (event: UpgradeEvent) => void): () => void;
  close(): Promise<void>;
}
