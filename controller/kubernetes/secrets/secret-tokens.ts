/**
 * The cluster's bearer tokens for webhook gates (ADR 0098): the key a gate's `secretRef` names,
 * read from the Secret in the Upgrade's namespace when the gate is called (RBAC: `get secrets`,
 * never list or watch, so the controller holds no Secret it does not use). Only a Secret
 * labelled `tranquil.dev/webhook-token: "true"` is read.
 */
import { CoreV1Api, type KubeConfig, type V1Secret } from "@kubernetes/client-node";
import type { WebhookTokens } from "../../ports/webhooks.js";
import { apiStatusOf } from "../kube-errors.js";

/** The label a Secret must carry, set to "true", for a webhook gate to read its token. */
export const WEBHOOK_TOKEN_LABEL = "tranquil.dev/webhook-token";

/** Reads tokens from Secrets through the API server. */
export class SecretTokens implements WebhookTokens {
  private readonly core: CoreV1Api;

  constructor(kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async token(namespace: string, name: string, key: string): Promise<string> {
    let secret: V1Secret;
    try {
      secret = await this.core.readNamespacedSecret({ name, namespace });
    } catch (err) {
      const status = apiStatusOf(err);
      const why =
        status?.code === 404
          ? "not found"
          : status !== undefined
            ? `HTTP ${status.code}: ${status.message}`
            : err instanceof Error
              ? err.message
              : String(err);
      throw new Error(`Secret ${namespace}/${name}: ${why}`, { cause: err });
    }
    // Only a Secret its owner marked for gates is read: whoever may submit an Upgrade must not
    // be able to send any Secret of the namespace to a URL of their choosing.
    if (secret.metadata?.labels?.[WEBHOOK_TOKEN_LABEL] !== "true")
      throw new Error(
        `Secret ${namespace}/${name} is not labelled ${WEBHOOK_TOKEN_LABEL}=true; label it to let webhook gates use it`,
      );
    const encoded = secret.data?.[key];
    if (encoded === undefined) throw new Error(`Secret ${namespace}/${name} has no key "${key}"`);
    const token = Buffer.from(encoded, "base64")
      .toString("utf8")
      .replace(/[\r\n]+$/, "");
    if (token === "") throw new Error(`Secret ${namespace}/${name} key "${key}" is empty`);
    return token;
  }
}
