/**
 * Phase and stage names of the upgrade lifecycle (DESIGN §4). Plain `as const` objects with
 * union types, so they serialise as strings into the Upgrade's status.
 */

/** The phases an Upgrade moves through. */
export const Phase = {
  Validating: "Validating",
  Preparing: "Preparing",
  Shifting: "Shifting",
  Draining: "Draining",
  Finalizing: "Finalizing",
  Succeeded: "Succeeded",
  RollingBack: "RollingBack",
  RolledBack: "RolledBack",
  Failed: "Failed",
} as const;
/** A phase name. */
export type Phase = (typeof Phase)[keyof typeof Phase];

/** Phases after which nothing happens any more. */
export const TERMINAL_PHASES: readonly Phase[] = [Phase.Succeeded, Phase.RolledBack, Phase.Failed];

/**
 * Sub-steps within a phase. The engine persists the current one so a restarted controller
 * resumes exactly there (G5).
 */
export const Stage = {
  // Validating
  Validate: "validate",
  // Preparing (§4.2)
  EnsureOldSubset: "ensureOldSubset",
  HoldOld: "holdOld",
  StartNew: "startNew",
  AddNewSubset: "addNewSubset",
  OpenDoor: "openDoor",
  // Shifting (§4.3)
  SetWeight: "setWeight",
  Analyse: "analyse",
  // Draining (§4.4); the cutover is the confirmed weight 100 that ends Shifting
  IngressDrain: "ingressDrain",
  Pin: "pin",
  Flip: "flip",
  Stragglers: "stragglers",
  Tranquil: "tranquil",
  // Finalizing (§4.5)
  ScaleOld: "scaleOld",
  OldEndpointsGone: "oldEndpointsGone",
  FinalizeRoutes: "finalizeRoutes",
  RemoveOldSubset: "removeOldSubset",
  // RollingBack (§4.6)
  Unflip: "unflip",
  WeightZero: "weightZero",
  DrainEnrolled: "drainEnrolled",
  CloseDoor: "closeDoor",
  ScaleNew: "scaleNew",
  NewEndpointsGone: "newEndpointsGone",
  RemoveRoutes: "removeRoutes",
  RemoveNewSubset: "removeNewSubset",
  // terminal phases
  Done: "done",
} as const;
/** A stage name. */
export type Stage = (typeof Stage)[keyof typeof Stage];

/**
 * What the routing should look like; the route planner turns it into VirtualServices.
 * - `none`: no Tranquil routes (before anything was written).
 * - `held`: sentinel first, non-enrolled clones → old before each user route of a train host.
 * - `doorOpen`: additionally, enrolled clones → new just before each non-enrolled clone, and pins → old between them.
 * - `flipped`: like `doorOpen`, but the non-enrolled clones → new (pins still → old).
 * - `finalized`: no clones or pins; user routes naming `old` now name `new` (the one documented edit).
 * - `removed`: no clones or pins; user routes untouched (end of a rollback).
 * The sentinel is governed separately by `RoutePlanIntent.sentinel`: it stays through the last
 * confirmed write (confirmation reads it) and goes in a final write that needs no confirmation.
 */
export const RouteMode = {
  None: "none",
  Held: "held",
  DoorOpen: "doorOpen",
  Flipped: "flipped",
  Finalized: "finalized",
  Removed: "removed",
} as const;
/** A route mode. */
export type RouteMode = (typeof RouteMode)[keyof typeof RouteMode];
