/**
 * GET /v1/upgrades/:name/recent-events: the Events the controller recorded about one Upgrade
 * (phase changes, refused commands, failed analyses …), oldest first, for the dashboard (ADR
 * 0091). A read like the others: no token, behind the Host check. The local controller keeps
 * them in memory; on a cluster they are read back from the Kubernetes Events that regard the
 * Upgrade. A controller without a source answers `kept: false`.
 */
import type { Request, Response } from "express";
import type { UpgradeEventNote } from "../../ports/events.js";
import type { UpgradeKey } from "../../ports/upgrade-store.js";
import { keyOf } from "../request-key.js";
import type { UpgradesService } from "../upgrades-service.js";

/** Where the recorded Events of an Upgrade are read from (the local recorder, or the Kubernetes API). */
export type RecentEvents = (
  key: UpgradeKey,
) => readonly UpgradeEventNote[] | Promise<readonly UpgradeEventNote[]>;

/** The most Events one answer carries, the newest kept. */
export const RECENT_EVENTS_MAX = 100;

/** What the route answers. */
export interface RecentEventsBody {
  /** False when this controller keeps no Events of its own. */
  readonly kept: boolean;
  readonly events: readonly UpgradeEventNote[];
}

/** The route handler: 404 for an unknown Upgrade, as GET /v1/upgrades/:name. */
export function recentEventsHandler(
  service: UpgradesService,
  source: RecentEvents | undefined,
): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const key = keyOf(req);
    await service.get(key);
    const body: RecentEventsBody =
      source === undefined
        ? { kept: false, events: [] }
        : { kept: true, events: (await source(key)).slice(-RECENT_EVENTS_MAX) };
    res.json(body);
  };
}
