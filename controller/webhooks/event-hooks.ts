/**
 * The `event` webhook gates (ADR 0098): every event about an Upgrade is told to each of its
 * event gates, as Flagger does, in the background: a slow or absent gate never slows a tick.
 * Calls in flight are bounded; beyond the bound an event is dropped and logged.
 */
import type { Logger } from "pino";
import type { UpgradeEventNote } from "../ports/events.js";
import type { UpgradeRef } from "../ports/router.js";
import type { Webhooks } from "../ports/webhooks.js";
import { WebhookType } from "../upgrade-spec/schema.js";

/** Event-gate calls in flight at most, over every upgrade. */
export const EVENT_CALLS_IN_FLIGHT = 64;

/** Tells events to the upgrades' event gates. */
export class EventHooks {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly webhooks: Webhooks,
    private readonly log: Logger,
    private readonly limit = EVENT_CALLS_IN_FLIGHT,
  ) {}

  /** Starts telling `note` to every event gate of `upgrade`, whose phase is `phase`; returns at once. */
  tell(upgrade: UpgradeRef, phase: string, note: UpgradeEventNote): void {
    for (const hook of upgrade.spec.strategy?.webhooks ?? []) {
      if (hook.type !== WebhookType.Event) continue;
      if (this.inFlight.size >= this.limit) {
        this.log.warn(
          { upgrade: upgrade.id, webhook: hook.name, event: note },
          "event webhook busy; event dropped",
        );
        continue;
      }
      const extra = {
        eventMessage: note.message,
        eventType: note.type,
        eventReason: note.reason,
        timestamp: new Date(note.at).toISOString(),
      };
      const call = this.webhooks
        .call(upgrade, hook, phase, extra)
        .then(
          (outcome) => {
            if (!outcome.yes)
              this.log.warn(
                { upgrade: upgrade.id, webhook: hook.name, answer: outcome.message },
                "event webhook said no",
              );
          },
          (err: unknown) =>
            this.log.warn({ upgrade: upgrade.id, webhook: hook.name, err }, "event webhook failed"),
        )
        .finally(() => this.inFlight.delete(call));
      this.inFlight.add(call);
    }
  }

  /** Resolves once every call in flight has ended. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
