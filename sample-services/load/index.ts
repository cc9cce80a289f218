/** The load generator: simulated end users, per-transaction records, and summaries. */
export { runLoad, validateLoadOptions } from "./run-load.js";
export { summarise, percentile } from "./summarise.js";
export type {
  LoadOptions,
  LoadReport,
  LoadSummary,
  Range,
  TransactionKind,
  TransactionRecord,
} from "./types.js";
