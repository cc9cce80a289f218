/**
 * GET /v1/upgrades/:name/events: the status stream (SSE). The current view first, then one
 * `status` event per stored change, until the upgrade ends. Streams are capped, a slow client
 * gets only the newest state, heartbeats keep it open and an idle one is closed (ADR 0088).
 */
import type { Request, Response } from "express";
import { TERMINAL_PHASES } from "../engine/phases.js";
import {
  keyString,
  type UpgradeEvent,
  type UpgradeRecord,
  type UpgradeStore,
} from "../ports/upgrade-store.js";
import { keyOf } from "./request-key.js";
import { SseStream } from "./sse-stream.js";
import { StreamSlots } from "./stream-slots.js";
import type { UpgradesService } from "./upgrades-service.js";
import { toView } from "./view.js";

/** Limits of the status streams. */
export interface StatusStreamSettings {
  /** Streams open at once; one more is answered 503 with `Retry-After`. */
  readonly maxStreams: number;
  /** What `Retry-After` says when the cap is reached, in seconds. */
  readonly retryAfterSeconds: number;
  /** How often a `: keep-alive` comment is sent. */
  readonly heartbeatMs: number;
  /** A stream that delivered no event for this long is closed; the client reconnects. */
  readonly idleMs: number;
}

/** The limits when none are given. */
export const DEFAULT_STATUS_STREAM_SETTINGS: StatusStreamSettings = {
  maxStreams: 256,
  retryAfterSeconds: 5,
  heartbeatMs: 15_000,
  idleMs: 10 * 60_000,
};

/** Dependencies of {@link statusEventsHandler}. */
export interface StatusEventsDeps {
  readonly store: UpgradeStore;
  readonly service: UpgradesService;
  readonly settings: StatusStreamSettings;
  /** The cap's counter, shared by every stream of the server. */
  readonly slots: StreamSlots;
}

/** The route handler (express 5 passes its rejections to the error handler). */
export function statusEventsHandler(deps: StatusEventsDeps): (req: Request, res: Response) => Promise<void> {
  const { settings, slots } = deps;
  return async (req, res) => {
    const release = slots.acquire();
    if (release === undefined) {
      res
        .status(503)
        .set("Retry-After", String(settings.retryAfterSeconds))
        .json({
          error: `too many status streams are open (${slots.max}); try again in ${settings.retryAfterSeconds} s`,
        });
      return;
    }
    const key = keyOf(req);
    const id = keyString(key);
    // Subscribe before reading: with a remote store a change can land while the read is in
    // flight, and if it were the terminal one the stream would never end. Read again until no
    // change arrived during a read, so the first event is at least as new as any missed one.
    let live: ((event: UpgradeEvent) => void) | undefined = undefined;
    let changedDuringRead = false;
    const stop = deps.store.watch({
      onEvent: (event) => {
        if (keyString(event.upgrade) !== id) return;
        if (live) live(event);
        else changedDuringRead = true;
      },
    });
    const cleanUp = (): void => {
      stop();
      release();
    };
    let first: UpgradeRecord;
    try {
      // Bounded, so a store that changes faster than it reads cannot hold the request forever.
      let reads = 0;
      do {
        changedDuringRead = false;
        first = await deps.service.get(key);
      } while (changedDuringRead && ++reads < 10);
    } catch (err) {
      cleanUp();
      throw err;
    }
    if (res.socket === null || res.socket.destroyed) {
      cleanUp(); // the client left during the read
      return;
    }
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    const stream = new SseStream(res, {
      heartbeatMs: settings.heartbeatMs,
      idleMs: settings.idleMs,
      onClose: cleanUp,
    });
    /** Sends the view; true when the upgrade has ended. */
    const send = (u: UpgradeRecord): boolean => {
      stream.send("status", JSON.stringify(toView(u)));
      return TERMINAL_PHASES.includes(u.status.phase);
    };
    if (send(first)) {
      stream.end();
      return;
    }
    live = (event) => {
      if (event.type === "DELETED" || send(event.upgrade)) stream.end();
    };
  };
}
