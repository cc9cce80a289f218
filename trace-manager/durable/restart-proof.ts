import type { EnvoyFigures, PodReport } from "../store/port.js";

/** What a TraceManager knows at start about the pod's past. */
export interface RestartEvidence {
  /** The pod's last report in the store, if any. */
  readonly previous: PodReport | undefined;
  /** Envoy's figures read before this TraceManager served anything; null without an Envoy to read. */
  readonly envoy: EnvoyFigures | null;
  /** The store or Envoy could not be read, so nothing can be proven. */
  readonly unreadable: string | null;
}

/** Every Check Envoy has finished, whatever its outcome. */
function checksFinished(f: EnvoyFigures): number {
  return f.extAuthz.ok + f.extAuthz.denied + f.extAuthz.error + f.extAuthz.failureModeAllowed;
}

/**
 * Whether nothing admitted before this TraceManager started can be missing from the store (ADR
 * 0085). Returns null when that is proven, or why it is not:
 * - a first TraceManager of the pod (no report) is proven when Envoy has finished no Check yet;
 * - a successor is proven when its predecessor's last report was clean and Envoy has finished
 *   exactly the Checks it had finished when that report was made: no Check came after it.
 * A pod without an Envoy to read can only prove a first start.
 */
export function unprovenRestart(e: RestartEvidence): string | null {
  if (e.unreadable !== null) return e.unreadable;
  const { previous, envoy } = e;
  if (previous === undefined) {
    if (envoy === null || checksFinished(envoy) === 0) return null;
    return `Envoy finished ${checksFinished(envoy)} Check(s) before this TraceManager started and the store has no report of the pod`;
  }
  if (previous.dirty)
    return `the previous TraceManager's last report was dirty (${previous.dirtyReasons.join(", ") || "no reason given"})`;
  if (envoy === null)
    return "there is no Envoy to read, so Checks since the previous TraceManager's last report cannot be counted";
  if (previous.envoy === undefined)
    return "the previous TraceManager's last report has no Envoy figures to compare with";
  const then = checksFinished(previous.envoy);
  const now = checksFinished(envoy);
  if (now !== then)
    return `Envoy finished ${now} Check(s), ${then} when the previous TraceManager last reported clean`;
  return null;
}
