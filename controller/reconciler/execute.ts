/**
 * Executes one engine action through the backend's ports and turns the outcome into the
 * acknowledgement the engine reads on its next tick. Every action is idempotent by design of
 * the ports, so re-executing a pending action after a restart changes nothing twice (G5).
 */
import type { Logger } from "pino";
import { describeAnswer } from "../engine/gates.js";
import { ActionKind, type Action, type ActionResult, type CallWebhookAction } from "../engine/types.js";
import { WebhookType } from "../upgrade-spec/schema.js";
import type { Backend, UpgradeEventNote, UpgradeRef } from "../ports/index.js";

/** Where the actions' events go (the Events port, bound to the upgrade). */
export interface ActionEvents {
  record(note: UpgradeEventNote): Promise<void>;
}

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
  events: ActionEvents,
  clock: () => number,
): Promise<ActionResult> {
  const svc = (service: string): { namespace: string; service: string } => ({
    namespace: upgrade.namespace,
    service,
  });
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
          ...svc(action.service),
          version: action.version,
          fromVersion: action.fromVersion,
          replicas: action.replicas,
          upgrade: upgrade.id,
          ...(action.image !== undefined ? { image: action.image } : {}),
        });
        return { ok: true };
      case ActionKind.ScaleVersion:
        await backend.workloads.scaleVersion(svc(action.service), action.version, action.replicas);
        return { ok: true };
      case ActionKind.DeleteVersion:
        await backend.workloads.deleteVersion(svc(action.service), action.version);
        return { ok: true };
      case ActionKind.DeclareLost:
        await backend.observer.declareLost(upgrade, action.ids);
        await events.record({
          type: "Warning",
          reason: "TransactionsLost",
          message: `${action.ids.length} transaction(s) past maxTransactionAge with old idle declared lost: ${action.ids.slice(0, 5).join(", ")}${action.ids.length > 5 ? ", …" : ""}`,
          at: clock(),
        });
        return { ok: true };
      case ActionKind.RecordEvent:
        await events.record({
          type: action.type,
          reason: action.reason,
          message: action.message,
          at: clock(),
        });
        return { ok: true };
      case ActionKind.CallWebhook:
        return await callWebhook(action, upgrade, backend, log, events, clock);
    }
  } catch (err) {
    const permanent = isPermanent(err);
    const message = err instanceof Error ? err.message : String(err);
    log.warn({ upgrade: upgrade.id, action: action.key, permanent, err }, "action failed");
    return { ok: false, permanent, message };
  }
}

/**
 * Calls a webhook gate. Its answer is final either way (the gate's own retries are spent), so a
 * no is a permanent failure whose message says how it answered. A post-rollout gate is told
 * after the upgrade ended, when no tick reads the result: its answer is an event here.
 */
async function callWebhook(
  action: CallWebhookAction,
  upgrade: UpgradeRef,
  backend: Backend,
  log: Logger,
  events: ActionEvents,
  clock: () => number,
): Promise<ActionResult> {
  const hook = upgrade.spec.strategy?.webhooks?.find((h) => h.name === action.webhook);
  const outcome =
    hook === undefined
      ? { yes: false, message: "was not called: the spec no longer names it" }
      : backend.webhooks === undefined
        ? { yes: false, message: "was not called: this controller has no webhook client" }
        : await backend.webhooks.call(upgrade, hook, action.phase);
  log.info(
    {
      upgrade: upgrade.id,
      webhook: action.webhook,
      type: action.hookType,
      yes: outcome.yes,
      answer: outcome.message,
    },
    "webhook gate answered",
  );
  if (action.hookType === WebhookType.PostRollout) {
    await events.record({
      type: outcome.yes ? "Normal" : "Warning",
      reason: outcome.yes ? "WebhookYes" : "WebhookNo",
      message: describeAnswer(action.hookType, action.webhook, outcome.message),
      at: clock(),
    });
  }
  return outcome.yes ? { ok: true } : { ok: false, permanent: true, message: outcome.message };
}
