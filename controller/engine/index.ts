/**
 * The upgrade engine's public API: plain data types, the pure decide(), and helpers the
 * reconciler and the simulator use. No I/O.
 */
export * from "./types.js";
export { decide, pendingActions } from "./decide.js";
export { initialStatus } from "./status.js";
export { effectiveSettings, DEFAULT_STEPS, type Effective } from "./effective.js";
export { analyse, type AnalysisVerdict } from "./analysis.js";
export { sameIntent } from "./routing.js";
export { OldVersionPolicy } from "./settings.js";
