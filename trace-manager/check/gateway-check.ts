import type { CheckResponse } from "../proto/types.js";
import type { Recorder } from "../durable/recorder.js";
import type { TraceManagerMetrics } from "../metrics.js";
import type { UpgradesCache } from "../gateway/upgrades-cache.js";
import { decideEnrolment } from "../gateway/enrolment.js";
import { DIRTY_REASONS, type DirtyState } from "../durable/dirty.js";
import { readCheckIds } from "./request-ids.js";
import type { IgnoredRequestIds } from "./ignored-request-ids.js";
import type { CheckHeaders } from "./check-headers.js";
import { okRemovingHeader, okSettingHeader } from "./responses.js";

/** Identity and settings of a gateway. */
export interface GatewayIdentity {
  readonly pod: string;
  readonly checkBudgetMs: number;
  readonly enrolmentHeader: string;
}

/**
 * The gateway's Check: decides enrolment per active upgrade, always overwrites or removes the
 * enrolment header the client sent, and records the ingress start with each decision's weight
 * version before replying (within the budget).
 */
export function gatewayCheck(
  id: GatewayIdentity,
  upgrades: UpgradesCache,
  recorder: Recorder,
  dirty: DirtyState,
  metrics: TraceManagerMetrics,
  clock: () => number,
  ignoredIds: IgnoredRequestIds,
) {
  const removeHeader = okRemovingHeader(id.enrolmentHeader);
  return async (req: CheckHeaders): Promise<CheckResponse> => {
    const ids = readCheckIds(req, () => metrics.ignored.inc({ reason: "invalid_trace_id" }));
    if (!ids.ok) {
      // Not tracked, so not enrolled: a client must never enrol itself.
      metrics.ignored.inc({ reason: ids.reason });
      if (ids.refusal !== undefined) ignoredIds.note(ids.refusal, clock());
      metrics.checks.inc({ role: "gateway", outcome: "ignored" });
      return removeHeader;
    }
    const list = await upgrades.get(id.checkBudgetMs);
    if (list === null) dirty.raise(DIRTY_REASONS.upgradesUnreadable, clock());
    const decision = decideEnrolment(ids.txn, list ?? [], () =>
      metrics.ignored.inc({ reason: "invalid_name" }),
    );
    for (const e of decision.enrolments) metrics.enrolments.inc({ enrolled: String(e.enrolled) });
    const outcome = await recorder.admit(recorder.ingressStarts, {
      txn: ids.txn,
      ...(ids.traceId === null ? {} : { traceId: ids.traceId }),
      gateway: id.pod,
      at: clock(),
      enrolments: decision.enrolments,
    });
    metrics.checks.inc({ role: "gateway", outcome });
    return decision.headerValue === null
      ? removeHeader
      : okSettingHeader(id.enrolmentHeader, decision.headerValue);
  };
}
