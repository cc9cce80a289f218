/**
 * Writes the CA that signed the webhook's certificate into every webhook of its
 * MutatingWebhookConfiguration (`clientConfig.caBundle`), so the API server trusts it. Writes
 * only when a bundle differs, with the resourceVersion read (retried on 409).
 */
import { AdmissionregistrationV1Api, ApiException, type KubeConfig } from "@kubernetes/client-node";

/** Sets every webhook's caBundle of configuration `name` to `caPem`; resolves to whether it wrote. */
export async function patchCaBundle(kc: KubeConfig, name: string, caPem: string): Promise<boolean> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  const caBundle = Buffer.from(caPem).toString("base64");
  for (let attempt = 0; attempt < 5; attempt++) {
    let config;
    try {
      config = await api.readMutatingWebhookConfiguration({ name });
    } catch (err) {
      throw new Error(`could not read MutatingWebhookConfiguration ${name} to set its caBundle`, {
        cause: err,
      });
    }
    const webhooks = config.webhooks ?? [];
    if (webhooks.every((w) => w.clientConfig.caBundle === caBundle)) return false;
    for (const w of webhooks) w.clientConfig.caBundle = caBundle;
    try {
      await api.replaceMutatingWebhookConfiguration({ name, body: config });
      return true;
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 409))
        throw new Error(`could not set the caBundle of MutatingWebhookConfiguration ${name}`, { cause: err });
    }
  }
  throw new Error(`MutatingWebhookConfiguration ${name} kept changing while its caBundle was being set`);
}
