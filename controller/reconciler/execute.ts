/**
 * Executes one engine action through the backend's ports and turns the outcome into the
 * acknowledgement the engine reads on its next tick. Every action is idempotent by design of
 * the ports, so re-executing a pending action after a restart changes nothing twice (G5).
 */
import type { Logger } from "pino";
import { ActionKind, type Action, type ActionResult } from "../engine/types.js";
import type { Backend, UpgradeRef } from "../ports/index.js";

/** An error a backend marks as final: retrying cannot help (a refused write, a bad template). */
export class PermanentError extends Error {
  readonly permanent = true;
}

function isPermanent(err: unknown): boolean {
  if (err instanceof PermanentError) return true;
  const status = (err as { status?: unknown } | null)?.status;
  // Kubernetes-style refusals: invalid (422), bad request (400), forbidden (403).
  return status === 400 || status === 403 || status === 422;
}

/** Runs `action` for `upgrade`; never throws. */
export async function executeAction(
  action: Action,
  upgrade: UpgradeRef,
  backend: Backend,
  log: Logger,
): Promise<ActionResult> {
  try {
    switch (action.kind) {
      case ActionKind.EnsureSubset:
        await backend.router.ensureSubset(upgrade, action.service, action.version);
        return { ok: true };
      case ActionKind.RemoveSubset:
        await backend.router.removeSubset(upgrade, action.service, action.version);
        return { ok: true };
      case ActionKind.WriteRoutes: {
        const { recorded } = await backend.router.writeRoutes(upgrade, action.epoch, action.intent);
        return recorded.length > 0 ? { ok: true, recorded } : { ok: true };
      }
      case ActionKind.SetWeight:
        await backend.enrolment.setWeight(
          upgrade.id,
          upgrade.spec.services.map((s) => s.name),
          action.weight,
          action.weightVersion,
        );
        return { ok: true };
      case ActionKind.EnsureVersion:
        await backend.workloads.ensureVersion({
          service: action.service,
          version: action.version,
          fromVersion: action.fromVersion,
          replicas: action.replicas,
          ...(action.image !== undefined ? { image: action.image } : {}),
        });
        return { ok: true };
      case ActionKind.ScaleVersion:
        await backend.workloads.scaleVersion(action.service, action.version, action.replicas);
        return { ok: true };
      case ActionKind.DeleteVersion:
        await backend.workloads.deleteVersion(action.service, action.version);
        return { ok: true };
      case ActionKind.DeclareLost:
        await backend.observer.declareLost(upgrade.id, action.ids);
        log.warn({ upgrade: upgrade.id, lost: action.ids }, "transactions declared lost");
        return { ok: true };
      case ActionKind.RecordEvent:
        log[action.type === "Warning" ? "warn" : "info"](
          { upgrade: upgrade.id, reason: action.reason },
          action.message,
        );
        return { ok: true };
    }
  } catch (err) {
    const permanent = isPermanent(err);
    const message = err instanceof Error ? err.message : String(err);
    log.warn({ upgrade: upgrade.id, action: action.key, permanent, err }, "action failed");
    return { ok: false, permanent, message };
  }
}
