/**
 * The cluster's bearer tokens for webhook gates (ADR 0098): the key a gate's `secretRef` names,
 * read from the Secret in the Upgrade's namespace when the gate is called (RBAC: `get secrets`,
 * never list or watch, so the controller holds no Secret it does not use).
 */
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { WebhookTokens } from "../../ports/webhooks.js";
import { apiStatusOf } from "../kube-errors.js";

/** Reads tokens from Secrets through the API server. */
export class SecretTokens implements WebhookTokens {
  private readonly core: CoreV1Api;

  constructor(kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async token(namespace: string, name: string, key: string): Promise<string> {
    let data: Record<string, string> | undefined;
    try {
      data = (await this.core.readNamespacedSecret({ name, namespace })).data;
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
    const encoded = data?.[key];
    if (encoded === undefined) throw new Error(`Secret ${namespace}/${name} has no key "${key}"`);
    const token = Buffer.from(encoded, "base64")
      .toString("utf8")
      .replace(/[\r\n]+$/, "");
    if (token === "") throw new Error(`Secret ${namespace}/${name} key "${key}" is empty`);
    return token;
  }
}
