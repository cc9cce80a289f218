/**
 * The Webhooks port: calls the spec's webhook gates (ADR 0098). A call POSTs the upgrade's
 * payload, with the gate's bearer token when it names a Secret, within the gate's timeout and
 * retries, and says how the gate answered. It never throws: a gate that cannot be reached, or
 * answers garbage, is a no with the reason.
 */
import type { WebhookSpec } from "../upgrade-spec/schema.js";
import type { UpgradeRef } from "./router.js";

/** How a gate answered. */
export interface WebhookOutcome {
  /** True for a 2xx answer. */
  readonly yes: boolean;
  /** How, e.g. `said yes: HTTP 200`, `said no: HTTP 403`, `did not answer: timed out after 5s (3 attempts)`. */
  readonly message: string;
}

/** Calls webhook gates. */
export interface Webhooks {
  /**
   * Calls `hook` for `upgrade` in `phase`; `extra` is merged into the payload's metadata (the
   * event gates' `eventMessage`, `eventType`, `eventReason`, `timestamp`).
   */
  call(
    upgrade: UpgradeRef,
    hook: WebhookSpec,
    phase: string,
    extra?: Readonly<Record<string, string>>,
  ): Promise<WebhookOutcome>;
}

/** Where the bearer tokens of the gates come from (a Secret on Kubernetes, a file on the local mesh). */
export interface WebhookTokens {
  /** The token at `key` of secret `name` in `namespace`; rejects with why when there is none. */
  token(namespace: string, name: string, key: string): Promise<string>;
}
