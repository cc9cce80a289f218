/** The controller's ports (DESIGN §7): what a backend (Kubernetes or the local mesh) implements. */
export type { Router, UpgradeRef } from "./router.js";
export type { Workloads } from "./workloads.js";
export type { Observer, GatheredObservations } from "./observer.js";
export type { Enrolment } from "./enrolment.js";
export type { UpgradeStore, UpgradeRecord, UpgradeEvent } from "./upgrade-store.js";
export { UpgradeConflictError, UpgradeExistsError, UpgradeNotFoundError } from "./upgrade-store.js";

import type { Enrolment } from "./enrolment.js";
import type { Observer } from "./observer.js";
import type { Router } from "./router.js";
import type { Workloads } from "./workloads.js";

/** Everything the reconciler drives, from one backend. */
export interface Backend {
  readonly router: Router;
  readonly workloads: Workloads;
  readonly observer: Observer;
  readonly enrolment: Enrolment;
}
