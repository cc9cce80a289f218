/**
 * Answers one AdmissionReview body. It never denies and never throws: a pod that is not to be
 * injected, a body that is not a review, and any internal error all answer "allowed" without a
 * patch, logged and counted. With the webhook's `failurePolicy: Ignore` this keeps pod creation
 * independent of injection: the worst injection can do is not inject.
 */
import type { Logger } from "pino";
import type { V1Pod } from "@kubernetes/client-node";
import {
  BadReviewError,
  allowResponse,
  parseAdmissionReview,
  type AdmissionRequest,
  type AdmissionReviewAnswer,
} from "./admission-review.js";
import type { InjectionMetrics } from "./injection-metrics.js";
import { decideInjection, type InjectionDecision } from "./pod-injection.js";
import type { SidecarTemplate } from "./sidecar-template.js";

/** What the handler needs. */
export interface ReviewHandlerOptions {
  readonly template: SidecarTemplate;
  /** Written to the pod's `tranquil.dev/injected` annotation. */
  readonly injectorVersion: string;
  readonly metrics: InjectionMetrics;
  readonly logger: Logger;
  /** Replaces the decision (tests inject a failure through it). */
  readonly decide?: (pod: V1Pod, template: SidecarTemplate, version: string) => InjectionDecision;
  readonly now?: () => number;
}

/** A function from a review body to its answer. */
export type ReviewHandler = (body: unknown) => AdmissionReviewAnswer;

const podName = (req: AdmissionRequest): string =>
  `${req.namespace ?? ""}/${req.object?.metadata?.name ?? req.object?.metadata?.generateName ?? "?"}`;

/** Makes the handler. */
export function makeReviewHandler(options: ReviewHandlerOptions): ReviewHandler {
  const { template, injectorVersion, metrics, logger } = options;
  const decide = options.decide ?? decideInjection;
  const now = options.now ?? (() => performance.now());
  return (body) => {
    const started = now();
    const seconds = (): number => (now() - started) / 1000;
    let uid = "";
    try {
      const req = parseAdmissionReview(body);
      uid = req.uid;
      if (
        req.kind.kind !== "Pod" ||
        req.kind.group !== "" ||
        req.operation !== "CREATE" ||
        req.object === undefined
      ) {
        metrics.count("skipped", "not-a-pod-create", seconds());
        return allowResponse(uid);
      }
      const decision = decide(req.object, template, injectorVersion);
      if (decision.kind === "skip") {
        metrics.count("skipped", decision.reason, seconds());
        const fields = { pod: podName(req), reason: decision.reason, detail: decision.detail };
        // A pod the user asked to inject but that cannot be: say so to them and in the log.
        if (decision.detail === undefined) {
          logger.debug(fields, "not injected");
          return allowResponse(uid);
        }
        logger.info(fields, "not injected");
        return allowResponse(uid, undefined, [
          `Tranquil did not inject the TraceManager: ${decision.detail}`,
        ]);
      }
      metrics.count("injected", "", seconds());
      logger.info({ pod: podName(req), ops: decision.patch.length, dryRun: req.dryRun === true }, "injected");
      return allowResponse(uid, decision.patch);
    } catch (err) {
      const reason = err instanceof BadReviewError ? "bad-review" : "internal";
      uid = err instanceof BadReviewError ? err.uid : uid;
      metrics.count("error", reason, seconds());
      logger.error({ err, uid, reason }, "review answered without a patch");
      return allowResponse(uid);
    }
  };
}
