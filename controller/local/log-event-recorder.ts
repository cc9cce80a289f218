/**
 * The Events port for the local backend: each event is a structured log line and is kept,
 * the latest ones per Upgrade, for the API and the tests to read back (Kubernetes keeps
 * Events for an hour; a local controller keeps the last {@link EVENTS_KEPT}).
 */
import type { Logger } from "pino";
import type { EventRecorder, UpgradeEventNote } from "../ports/events.js";
import { keyString, type UpgradeKey } from "../ports/upgrade-store.js";

/** How many events are kept per Upgrade. */
export const EVENTS_KEPT = 100;

/** Logs events and keeps the latest per Upgrade. */
export class LogEventRecorder implements EventRecorder {
  private readonly kept = new Map<string, UpgradeEventNote[]>();

  constructor(private readonly logger: Logger) {}

  record(upgrade: UpgradeKey, event: UpgradeEventNote): Promise<void> {
    const k = keyString(upgrade);
    const list = this.kept.get(k) ?? [];
    list.push(event);
    if (list.length > EVENTS_KEPT) list.splice(0, list.length - EVENTS_KEPT);
    this.kept.set(k, list);
    this.logger[event.type === "Warning" ? "warn" : "info"](
      { upgrade: k, reason: event.reason },
      event.message,
    );
    return Promise.resolve();
  }

  /** The kept events of one Upgrade, oldest first. */
  recent(upgrade: UpgradeKey): readonly UpgradeEventNote[] {
    return this.kept.get(keyString(upgrade)) ?? [];
  }
}
