/**
 * The Events port on the Kubernetes API: `events.k8s.io/v1` Events that regard the Upgrade (by
 * uid, so `kubectl describe upgrade` lists them). A repeat of the same type, reason and message
 * within the series window updates the first Event's `series` (count, lastObservedTime) instead
 * of adding another, as Kubernetes' own event recorders do. Recording is best effort: a failure
 * is logged and counted, never thrown into the reconciler; an Event for an Upgrade that no
 * longer exists is dropped.
 */
import {
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type KubeConfig,
} from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { EventRecorder, UpgradeEventNote } from "../../ports/events.js";
import { keyString, type UpgradeKey } from "../../ports/upgrade-store.js";
import { apiStatusOf, describeKubeError } from "../kube-errors.js";
import { eventBody, eventName, truncateNote } from "./event-body.js";
import { UpgradeUids } from "./upgrade-uids.js";

/** Options of {@link KubeEventRecorder}. */
export interface KubeEventRecorderOptions {
  readonly kc: KubeConfig;
  /** This replica's name in `reportingInstance` (the pod name, or the hostname). */
  readonly reportingInstance: string;
  readonly logger: Logger;
  readonly clock?: () => number;
  /** A repeat within this long after the last one joins its series (default 6 min, as Kubernetes). */
  readonly seriesWindowMs?: number;
  /** How long an Upgrade's uid is reused before it is looked up again (default 60 s). */
  readonly uidTtlMs?: number;
}

/** The counts of what became of the notes. */
export interface EventRecorderCounts {
  /** New Events created. */
  readonly created: number;
  /** Repeats folded into an Event's series. */
  readonly repeated: number;
  /** Notes about an Upgrade that does not exist. */
  readonly dropped: number;
  /** Notes lost to an API failure (logged). */
  readonly failed: number;
}

/** One series: the Event a repeat updates. */
interface Series {
  readonly name: string;
  count: number;
  lastAt: number;
}

const RESOURCE = "events.events.k8s.io";
const DEFAULT_SERIES_WINDOW_MS = 6 * 60_000;

/** Events about Upgrades as Kubernetes Events. */
export class KubeEventRecorder implements EventRecorder {
  private readonly api: EventsV1Api;
  private readonly uids: UpgradeUids;
  private readonly clock: () => number;
  private readonly windowMs: number;
  private readonly series = new Map<string, Series>();
  private readonly queues = new Map<string, Promise<void>>();
  private sequence = 0;
  private readonly tally = { created: 0, repeated: 0, dropped: 0, failed: 0 };

  constructor(private readonly options: KubeEventRecorderOptions) {
    this.api = options.kc.makeApiClient(EventsV1Api);
    this.clock = options.clock ?? Date.now;
    this.windowMs = options.seriesWindowMs ?? DEFAULT_SERIES_WINDOW_MS;
    this.uids = new UpgradeUids(options.kc, options.uidTtlMs ?? 60_000, this.clock);
  }

  /** Records the note; resolves whatever happens (best effort). */
  record(upgrade: UpgradeKey, event: UpgradeEventNote): Promise<void> {
    const key = keyString(upgrade);
    // One Upgrade's notes go out in order, so a repeat always finds its series.
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.recordNow(upgrade, event));
    this.queues.set(key, next);
    void next.then(() => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    });
    return next;
  }

  /**
   * The Events that regard the Upgrade (any replica's, also a former leader's), oldest first,
   * at most `max` of the newest: what the dashboard shows. A repeat folded into a series counts
   * once, at its last occurrence.
   */
  async recent(upgrade: UpgradeKey, max = 100): Promise<UpgradeEventNote[]> {
    try {
      const list = await this.api.listNamespacedEvent({
        namespace: upgrade.namespace,
        fieldSelector: `regarding.kind=Upgrade,regarding.name=${upgrade.name}`,
      });
      return list.items
        .filter((e) => e.regarding?.apiVersion?.startsWith("tranquil.dev/") === true)
        .map((e): UpgradeEventNote => ({
          type: e.type === "Warning" ? "Warning" : "Normal",
          reason: e.reason ?? "",
          message: e.note ?? "",
          at: instantOf(e.series?.lastObservedTime ?? e.eventTime ?? e.deprecatedLastTimestamp),
        }))
        .sort((a, b) => a.at - b.at)
        .slice(-max);
    } catch (err) {
      throw describeKubeError(err, { verb: "list", resource: RESOURCE, namespace: upgrade.namespace });
    }
  }

  /** What became of the notes so far. */
  get counts(): EventRecorderCounts {
    return { ...this.tally };
  }

  private async recordNow(upgrade: UpgradeKey, note: UpgradeEventNote): Promise<void> {
    try {
      const uid = await this.uids.uidOf(upgrade);
      if (uid === undefined) {
        this.tally.dropped++;
        this.options.logger.debug(
          { upgrade: keyString(upgrade), reason: note.reason },
          "event dropped: the Upgrade does not exist",
        );
        return;
      }
      this.expireSeries();
      const seriesKey = `${keyString(upgrade)}/${uid}/${note.type}/${note.reason}/${truncateNote(note.message)}`;
      const known = this.series.get(seriesKey);
      if (known !== undefined && (await this.repeat(upgrade, known, note))) return;
      const name = eventName(upgrade.name, note.at, this.sequence++);
      await this.api.createNamespacedEvent({
        namespace: upgrade.namespace,
        body: eventBody({ upgrade, uid, name, reportingInstance: this.options.reportingInstance, note }),
      });
      this.series.set(seriesKey, { name, count: 1, lastAt: this.clock() });
      this.tally.created++;
    } catch (err) {
      this.tally.failed++;
      const failure = describeKubeError(err, {
        verb: "create",
        resource: RESOURCE,
        namespace: upgrade.namespace,
      });
      this.options.logger.warn(
        { upgrade: keyString(upgrade), reason: note.reason, err: failure },
        "could not record an event",
      );
    }
  }

  /** Folds a repeat into the Event's series; false when that Event is gone (a new one is due). */
  private async repeat(upgrade: UpgradeKey, series: Series, note: UpgradeEventNote): Promise<boolean> {
    const count = series.count + 1;
    try {
      await this.api.patchNamespacedEvent(
        {
          namespace: upgrade.namespace,
          name: series.name,
          body: { series: { count, lastObservedTime: new V1MicroTime(note.at) } },
        },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    } catch (err) {
      const status = apiStatusOf(err);
      if (status?.code === 404) return false;
      throw describeKubeError(err, {
        verb: "patch",
        resource: RESOURCE,
        namespace: upgrade.namespace,
        name: series.name,
      });
    }
    series.count = count;
    series.lastAt = this.clock();
    this.tally.repeated++;
    return true;
  }

  /** Series whose last repeat is older than the window are finished. */
  private expireSeries(): void {
    const now = this.clock();
    for (const [key, s] of this.series) if (now - s.lastAt > this.windowMs) this.series.delete(key);
  }
}

/** Epoch ms of an Event's time field (MicroTime, Date or RFC 3339); 0 when absent. */
function instantOf(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === "string") {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? 0 : ms;
  }
  return 0;
}
