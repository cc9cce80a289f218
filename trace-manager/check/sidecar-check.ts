import type { CheckResponse } from "../proto/types.js";
import type { Recorder } from "../durable/recorder.js";
import type { CallStart } from "../store/port.js";
import type { TraceManagerMetrics } from "../metrics.js";
import { readCheckIds } from "./request-ids.js";
import type { IgnoredRequestIds } from "./ignored-request-ids.js";
import type { CheckHeaders } from "./check-headers.js";
import { OK_PLAIN } from "./responses.js";

/** Identity of a sidecar. */
export interface SidecarIdentity {
  readonly service: string;
  readonly version: string;
  readonly pod: string;
}

/**
 * The sidecar's Check: records "call started: txn at service@version" and replies OK once it is
 * durable or the budget is spent, whichever comes first (a late record makes the pod dirty).
 */
export function sidecarCheck(
  id: SidecarIdentity,
  recorder: Recorder,
  metrics: TraceManagerMetrics,
  clock: () => number,
  ignoredIds: IgnoredRequestIds,
) {
  return async (req: CheckHeaders): Promise<CheckResponse> => {
    const ids = readCheckIds(req, () => metrics.ignored.inc({ reason: "invalid_trace_id" }));
    if (!ids.ok) {
      metrics.ignored.inc({ reason: ids.reason });
      if (ids.refusal !== undefined) ignoredIds.note(ids.refusal, clock());
      metrics.checks.inc({ role: "sidecar", outcome: "ignored" });
      return OK_PLAIN;
    }
    // Two literal shapes rather than a spread: this runs once per Check.
    const at = clock();
    const record: CallStart =
      ids.traceId === null
        ? { txn: ids.txn, service: id.service, version: id.version, pod: id.pod, at }
        : { txn: ids.txn, traceId: ids.traceId, service: id.service, version: id.version, pod: id.pod, at };
    const outcome = await recorder.admit(recorder.callStarts, record);
    metrics.checks.inc({ role: "sidecar", outcome });
    return OK_PLAIN;
  };
}
