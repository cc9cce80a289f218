/**
 * The `Upgrade` custom resource (tranquil.dev/v1alpha1) ⇄ the UpgradeStore's record (ADR 0074,
 * ADR 0076). The record's `id` is the enrolment id of namespace and name, `createdAt` the
 * object's creationTimestamp, its commands the annotations `commands.tranquil.dev/<kind>`, and
 * its status the stored status with every instant turned back into epoch milliseconds. An
 * object without a status yet (just created, or made with `kubectl apply`) reads as the status
 * a new Upgrade starts from, at its creation time.
 */
import { initialStatus } from "../../engine/status.js";
import type { Command, UpgradeSpec, UpgradeStatus } from "../../engine/types.js";
import {
  keyString,
  type NewUpgrade,
  type UpgradeKey,
  type UpgradeRecord,
} from "../../ports/upgrade-store.js";
import { UPGRADE_API } from "../../upgrade-spec/crd-manifest.js";
import { enrolmentId } from "../../upgrade-spec/enrolment-id.js";
import { InvalidInstantError, parseInstant } from "./instant.js";
import {
  decodeStatus,
  encodeStatus,
  MalformedStatusError,
  type StoredUpgradeStatus,
} from "./status-codec.js";

/** `tranquil.dev/v1alpha1`. */
export const UPGRADE_API_VERSION = `${UPGRADE_API.group}/${UPGRADE_API.version}`;

/** The annotation that carries a command of `kind` (`kubectl annotate … commands.tranquil.dev/promote=<token>`). */
export function commandAnnotation(kind: Command["kind"]): string {
  return `commands.${UPGRADE_API.group}/${kind}`;
}

const COMMAND_KINDS: readonly Command["kind"][] = ["promote", "abort"];

/**
 * An `Upgrade` object as the API server serves it: plain JSON, so times are strings (the
 * client's typed `KubernetesObject` says `Date`, which holds only for its own models).
 */
export interface UpgradeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly resourceVersion?: string;
    readonly creationTimestamp?: string | Date;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly [field: string]: unknown;
  };
  readonly spec: UpgradeSpec;
  readonly status?: StoredUpgradeStatus;
}

/** A stored Upgrade the codec cannot read; the message names the object and the field. */
export class UpgradeDecodeError extends Error {
  constructor(
    readonly key: UpgradeKey,
    readonly field: string,
    cause: Error,
  ) {
    super(`Upgrade ${keyString(key)}: ${cause.message}`, { cause });
    this.name = "UpgradeDecodeError";
  }
}

/** The object to create for a new Upgrade (no status: the status subresource ignores it on create). */
export function encodeNewUpgrade(upgrade: NewUpgrade): UpgradeObject {
  return {
    apiVersion: UPGRADE_API_VERSION,
    kind: UPGRADE_API.kind,
    metadata: { name: upgrade.name, namespace: upgrade.namespace },
    spec: upgrade.spec,
  };
}

/** The body of a status-subresource write: only the status and the resourceVersion that guards it. */
export function encodeStatusWrite(key: UpgradeKey, resourceVersion: string, status: UpgradeStatus): object {
  return {
    apiVersion: UPGRADE_API_VERSION,
    kind: UPGRADE_API.kind,
    metadata: { name: key.name, namespace: key.namespace, resourceVersion },
    status: encodeStatus(status),
  };
}

/** The merge patch that sets one command annotation, guarded by `resourceVersion`. */
export function encodeCommandPatch(resourceVersion: string, command: Command): object {
  return { metadata: { resourceVersion, annotations: { [commandAnnotation(command.kind)]: command.token } } };
}

/** Reads an `Upgrade` object as the store's record. Throws `UpgradeDecodeError` naming the field. */
export function decodeUpgrade(obj: UpgradeObject): UpgradeRecord {
  const { name, namespace, resourceVersion, creationTimestamp, annotations } = obj.metadata;
  const key = { namespace, name };
  try {
    if (typeof obj.spec !== "object" || obj.spec === null) {
      throw new MalformedStatusError("spec", "is missing");
    }
    const createdAt =
      creationTimestamp instanceof Date
        ? creationTimestamp.getTime()
        : parseInstant(creationTimestamp, "metadata.creationTimestamp");
    const status = obj.status === undefined ? initialStatus(createdAt) : decodeStatus(obj.status);
    return {
      namespace,
      name,
      id: enrolmentId(namespace, name),
      spec: obj.spec,
      status,
      commands: decodeCommands(annotations ?? {}),
      resourceVersion: resourceVersion ?? "",
      createdAt,
    };
  } catch (err) {
    if (err instanceof InvalidInstantError || err instanceof MalformedStatusError) {
      throw new UpgradeDecodeError(key, err.field, err);
    }
    throw err;
  }
}

/** The commands among an object's annotations: one per kind, an empty token being none. */
function decodeCommands(annotations: Readonly<Record<string, string>>): Command[] {
  const commands: Command[] = [];
  for (const kind of COMMAND_KINDS) {
    const token = annotations[commandAnnotation(kind)];
    if (token !== undefined && token !== "") commands.push({ kind, token });
  }
  return commands;
}
