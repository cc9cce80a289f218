/** The controller's ports (DESIGN §7): what a backend (Kubernetes or the local mesh) implements. */
export type { Router, UpgradeRef } from "./router.js";
export type { Workloads, ServiceRef } from "./workloads.js";
export type { Observer, GatheredObservations } from "./observer.js";
export type { Enrolment } from "./enrolment.js";
export type { EventRecorder, UpgradeEventNote } from "./events.js";
export type { Inventory, ProxyEntry, GatewayEntry } from "./inventory.js";
export type { MetricsQuery, MetricsQueryResult } from "./metrics-query.js";
export type { Webhooks, WebhookOutcome, WebhookTokens } from "./webhooks.js";
export type {
  UpgradeStore,
  UpgradeRecord,
  UpgradeEvent,
  UpgradeKey,
  UpgradeWatcher,
  NewUpgrade,
} from "./upgrade-store.js";
export {
  UpgradeConflictError,
  UpgradeExistsError,
  UpgradeNotFoundError,
  keyString,
  pendingCommands,
} from "./upgrade-store.js";

import type { Enrolment } from "./enrolment.js";
import type { EventRecorder } from "./events.js";
import type { Observer } from "./observer.js";
import type { Router } from "./router.js";
import type { Webhooks } from "./webhooks.js";
import type { Workloads } from "./workloads.js";

/** Everything the reconciler drives, from one backend. */
export interface Backend {
  readonly router: Router;
  readonly workloads: Workloads;
  readonly observer: Observer;
  readonly enrolment: Enrolment;
  readonly events: EventRecorder;
  /** Calls the spec's webhook gates (ADR 0098); without it, every gate answers no. */
  readonly webhooks?: Webhooks;
}
