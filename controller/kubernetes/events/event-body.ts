/**
 * The `events.k8s.io/v1` Event that reports one note about an Upgrade, as `kubectl describe
 * upgrade` shows it: it regards the Upgrade by uid, names Tranquil's controller and replica,
 * and keeps to the API's limits (a note of at most 1 kB, names of at most 253 characters).
 */
import { V1MicroTime, type EventsV1Event } from "@kubernetes/client-node";
import type { UpgradeEventNote } from "../../ports/events.js";
import type { UpgradeKey } from "../../ports/upgrade-store.js";
import { UPGRADE_API_VERSION } from "../upgrades/upgrade-codec.js";

/** The `reportingController` of every Tranquil Event. */
export const REPORTING_CONTROLLER = "tranquil.dev/controller";

/** The API's limit on `note`, in bytes. */
export const NOTE_LIMIT_BYTES = 1024;

const ELLIPSIS = "…";
const NAME_LIMIT = 253;

/** `message` cut to the note limit on a character boundary, ending in `…` when cut. */
export function truncateNote(message: string): string {
  if (Buffer.byteLength(message, "utf8") <= NOTE_LIMIT_BYTES) return message;
  const budget = NOTE_LIMIT_BYTES - Buffer.byteLength(ELLIPSIS, "utf8");
  let bytes = 0;
  let cut = "";
  for (const char of message) {
    bytes += Buffer.byteLength(char, "utf8");
    if (bytes > budget) break;
    cut += char;
  }
  return cut + ELLIPSIS;
}

/** The Event's name: the Upgrade's name and the instant in hexadecimal nanoseconds, unique per `sequence`. */
export function eventName(upgradeName: string, at: number, sequence: number): string {
  const suffix = `.${(BigInt(Math.trunc(at)) * 1_000_000n + BigInt(sequence % 1_000_000)).toString(16)}`;
  return upgradeName.slice(0, NAME_LIMIT - suffix.length) + suffix;
}

/** What the body needs beyond the note. */
export interface EventBodyInput {
  readonly upgrade: UpgradeKey;
  readonly uid: string;
  readonly name: string;
  readonly reportingInstance: string;
  readonly note: UpgradeEventNote;
}

/** The Event to create for a first occurrence. */
export function eventBody(input: EventBodyInput): EventsV1Event {
  const { upgrade, uid, note } = input;
  return {
    apiVersion: "events.k8s.io/v1",
    kind: "Event",
    metadata: { name: input.name, namespace: upgrade.namespace },
    eventTime: new V1MicroTime(note.at),
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: input.reportingInstance.slice(0, 128),
    action: note.reason.slice(0, 128),
    reason: note.reason.slice(0, 128),
    type: note.type,
    note: truncateNote(note.message),
    regarding: {
      apiVersion: UPGRADE_API_VERSION,
      kind: "Upgrade",
      name: upgrade.name,
      namespace: upgrade.namespace,
      uid,
    },
  };
}
