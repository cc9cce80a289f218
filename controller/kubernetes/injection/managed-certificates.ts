/**
 * The certificates the webhook manages itself: kept in one Secret of its namespace, so every
 * replica serves the same certificate and the caBundle names one CA. The first replica to find
 * no usable Secret makes the certificates and writes them; a replica that loses that race
 * (409) reads the winner's. A Secret whose certificate is expiring, names other hosts or does
 * not match its key is replaced the same way, its serving certificate signed again by the same
 * CA (which the Secret keeps with its key) while the CA lasts.
 */
import { ApiException, CoreV1Api, type KubeConfig, type V1Secret } from "@kubernetes/client-node";
import type { Logger } from "pino";
import {
  authorityUsable,
  certificatesUsable,
  generateCertificates,
  type CertificateAuthority,
  type CertificateRequest,
  type CertificateSet,
} from "./self-signed-certificates.js";

/** Where the certificates live and what they must name. */
export interface ManagedCertificateOptions {
  readonly kc: KubeConfig;
  readonly namespace: string;
  readonly secretName: string;
  readonly request: CertificateRequest;
  /** A certificate closer than this to its end is replaced (default 30 days). */
  readonly minRemainingMs?: number;
  readonly logger: Logger;
}

const KEYS = { ca: "ca.crt", caKey: "ca.key", cert: "tls.crt", key: "tls.key" } as const;
const decode = (s: string | undefined): string => Buffer.from(s ?? "", "base64").toString("utf8");
const encode = (s: string): string => Buffer.from(s).toString("base64");
const statusOf = (err: unknown): number => (err instanceof ApiException ? err.code : 0);

function fromSecret(secret: V1Secret): CertificateSet {
  const data = secret.data ?? {};
  return {
    caPem: decode(data[KEYS.ca]),
    caKeyPem: decode(data[KEYS.caKey]),
    certPem: decode(data[KEYS.cert]),
    keyPem: decode(data[KEYS.key]),
  };
}

function secretOf(name: string, namespace: string, set: CertificateSet, resourceVersion?: string): V1Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: "kubernetes.io/tls",
    metadata: {
      name,
      namespace,
      labels: { "app.kubernetes.io/name": "tranquil-injector", "app.kubernetes.io/part-of": "tranquil" },
      ...(resourceVersion !== undefined ? { resourceVersion } : {}),
    },
    data: {
      [KEYS.ca]: encode(set.caPem),
      [KEYS.caKey]: encode(set.caKeyPem),
      [KEYS.cert]: encode(set.certPem),
      [KEYS.key]: encode(set.keyPem),
    },
  };
}

/** The certificates to serve with: the Secret's if usable, else fresh ones written to it. */
export async function ensureManagedCertificates(options: ManagedCertificateOptions): Promise<CertificateSet> {
  const { kc, namespace, secretName: name, request, logger } = options;
  const minRemainingMs = options.minRemainingMs ?? 30 * 24 * 3600_000;
  const core = kc.makeApiClient(CoreV1Api);
  const where = `Secret ${namespace}/${name}`;
  for (let attempt = 0; attempt < 5; attempt++) {
    let existing: V1Secret | undefined;
    try {
      existing = await core.readNamespacedSecret({ name, namespace });
    } catch (err) {
      if (statusOf(err) !== 404) throw new Error(`could not read the webhook's ${where}`, { cause: err });
    }
    let ca: CertificateAuthority | undefined;
    if (existing !== undefined) {
      const set = fromSecret(existing);
      if (certificatesUsable(set, request, minRemainingMs)) return set;
      // Keep the CA while it lasts: the caBundle, and every replica's trust in it, stay as they are.
      if (authorityUsable(set, minRemainingMs)) ca = set;
      logger.info(
        { secret: where, keepsCa: ca !== undefined },
        "the webhook's certificate is unusable or expiring; renewing it",
      );
    }
    const fresh = await generateCertificates(request, ca);
    try {
      if (existing === undefined)
        await core.createNamespacedSecret({ namespace, body: secretOf(name, namespace, fresh) });
      else
        await core.replaceNamespacedSecret({
          name,
          namespace,
          body: secretOf(name, namespace, fresh, existing.metadata?.resourceVersion),
        });
      logger.info({ secret: where }, "wrote the webhook's certificates");
      return fresh;
    } catch (err) {
      // Another replica wrote first: use its certificates (read again).
      if (statusOf(err) !== 409) throw new Error(`could not write the webhook's ${where}`, { cause: err });
    }
  }
  throw new Error(`the webhook's ${where} kept changing while it was being written`);
}
