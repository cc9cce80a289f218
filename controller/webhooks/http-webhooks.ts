/**
 * The Webhooks port over HTTP (ADR 0098): builds Flagger's payload
 * (`{name, namespace, phase, checksum, metadata}`, plus Tranquil's `type`), reads the gate's
 * bearer token through the backend's token source, and calls the gate with its timeout
 * (default 10 s per attempt) and retries (default 2).
 */
import { createHash } from "node:crypto";
import type { UpgradeRef } from "../ports/router.js";
import type { WebhookOutcome, Webhooks, WebhookTokens } from "../ports/webhooks.js";
import { parseDuration } from "../upgrade-spec/duration.js";
import type { UpgradeSpec, WebhookSpec } from "../upgrade-spec/schema.js";
import { postWebhook } from "./webhook-client.js";

/** A gate's timeout per attempt when the spec names none. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
/** A gate's further attempts when the spec names none. */
export const DEFAULT_WEBHOOK_RETRIES = 2;
/** The Secret key read when `secretRef.key` is not set. */
export const DEFAULT_TOKEN_KEY = "token";

/** What a gate receives (Flagger's shape, plus `type`). */
export interface WebhookPayload {
  /** The Upgrade's name. */
  readonly name: string;
  readonly namespace: string;
  /** The upgrade's phase when the gate was asked. */
  readonly phase: string;
  /** Identifies the release: a hash of the train's services and versions. */
  readonly checksum: string;
  /** The gate's type, e.g. `confirm-promotion`. */
  readonly type: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** Options of {@link HttpWebhooks}. */
export interface HttpWebhooksOptions {
  /** Where `secretRef` tokens come from; without it, a gate that names one is not called. */
  readonly tokens?: WebhookTokens;
  /** Pause before the first retry (default 200 ms; it doubles). */
  readonly backoffMs?: number;
  readonly fetch?: typeof fetch;
}

/** The release's checksum: the same train of versions gives the same checksum. */
export function releaseChecksum(spec: UpgradeSpec): string {
  const train = spec.services.map((s) => [s.name, s.from, s.to, s.image ?? ""]);
  return createHash("sha256").update(JSON.stringify(train)).digest("hex").slice(0, 16);
}

/** Calls webhook gates over HTTP. */
export class HttpWebhooks implements Webhooks {
  constructor(private readonly options: HttpWebhooksOptions = {}) {}

  async call(
    upgrade: UpgradeRef,
    hook: WebhookSpec,
    phase: string,
    extra: Readonly<Record<string, string>> = {},
  ): Promise<WebhookOutcome> {
    const payload: WebhookPayload = {
      name: upgrade.name ?? upgrade.id,
      namespace: upgrade.namespace,
      phase,
      checksum: releaseChecksum(upgrade.spec),
      type: hook.type,
      metadata: { ...(hook.metadata ?? {}), ...extra },
    };
    let token: string | undefined;
    if (hook.secretRef !== undefined) {
      const key = hook.secretRef.key ?? DEFAULT_TOKEN_KEY;
      const where = `secret ${upgrade.namespace}/${hook.secretRef.name} key ${key}`;
      if (this.options.tokens === undefined)
        return { yes: false, message: `was not called: no token source for ${where} is configured` };
      try {
        token = await this.options.tokens.token(upgrade.namespace, hook.secretRef.name, key);
      } catch (err) {
        return {
          yes: false,
          message: `was not called: no bearer token from ${where}: ${err instanceof Error ? err.message : String(err)}`,
        };
      }
    }
    return postWebhook(hook.url, payload, {
      timeoutMs:
        hook.timeout !== undefined
          ? (parseDuration(hook.timeout) ?? DEFAULT_WEBHOOK_TIMEOUT_MS)
          : DEFAULT_WEBHOOK_TIMEOUT_MS,
      retries: hook.retries ?? DEFAULT_WEBHOOK_RETRIES,
      ...(token !== undefined ? { token } : {}),
      ...(this.options.backoffMs !== undefined ? { backoffMs: this.options.backoffMs } : {}),
      ...(this.options.fetch !== undefined ? { fetch: this.options.fetch } : {}),
    });
  }
}
