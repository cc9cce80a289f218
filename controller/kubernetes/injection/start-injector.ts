/**
 * Starts the injection webhook: its certificate (managed in a Secret with the CA written into
 * the MutatingWebhookConfiguration, or read from files a cert-manager Secret mounts and reread
 * when they change), then the HTTPS server answering reviews.
 */
import { readFile, stat } from "node:fs/promises";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { patchCaBundle } from "./ca-bundle.js";
import type { InjectorConfig } from "./injector-config.js";
import { InjectionMetrics } from "./injection-metrics.js";
import { ensureManagedCertificates } from "./managed-certificates.js";
import { makeReviewHandler } from "./review-handler.js";
import { serviceDnsNames } from "./self-signed-certificates.js";
import { startWebhookServer, type WebhookServer } from "./webhook-server.js";

/** What starting needs besides the configuration. */
export interface StartInjectorOptions {
  readonly config: InjectorConfig;
  readonly kc: KubeConfig;
  readonly logger: Logger;
  /** The injector's version, written to each injected pod. */
  readonly version: string;
  /** Extra IP SANs for a managed certificate (a test's webhook on 127.0.0.1). */
  readonly extraIps?: readonly string[];
  /** How often files are checked for a rotated certificate (default 30 s). */
  readonly reloadEveryMs?: number;
  /** How often a managed certificate is checked for renewal and the caBundle rewritten (default 1 h). */
  readonly refreshEveryMs?: number;
}

/** A running webhook. */
export interface RunningInjector {
  readonly server: WebhookServer;
  readonly metrics: InjectionMetrics;
  stop(): Promise<void>;
}

async function readPair(
  certFile: string,
  keyFile: string,
): Promise<{ cert: string; key: string; stamp: string }> {
  const [cert, key, a, b] = await Promise.all([
    readFile(certFile, "utf8"),
    readFile(keyFile, "utf8"),
    stat(certFile),
    stat(keyFile),
  ]);
  return { cert, key, stamp: `${a.mtimeMs}/${b.mtimeMs}/${cert.length}` };
}

/** Starts the webhook; resolves once it serves (and, when managed, once the caBundle is written). */
export async function startInjector(options: StartInjectorOptions): Promise<RunningInjector> {
  const { config, kc, logger } = options;
  const metrics = new InjectionMetrics();
  const handle = makeReviewHandler({
    template: config.template,
    injectorVersion: options.version,
    metrics,
    logger,
  });
  const serve = (certPem: string, keyPem: string): Promise<WebhookServer> =>
    startWebhookServer({
      host: config.host,
      port: config.port,
      certPem,
      keyPem,
      handle,
      registry: metrics.registry,
    });

  const tls = config.tls;
  if (tls.kind === "managed") {
    const certificates = () =>
      ensureManagedCertificates({
        kc,
        namespace: tls.namespace,
        secretName: tls.secretName,
        request: {
          dnsNames: serviceDnsNames(tls.service, tls.namespace),
          ips: [...tls.ips, ...(options.extraIps ?? [])],
        },
        logger,
      });
    let set = await certificates();
    const server = await serve(set.certPem, set.keyPem);
    try {
      const wrote = await patchCaBundle(kc, tls.webhookConfigName, set.caPem);
      logger.info({ webhookConfig: tls.webhookConfigName, wrote }, "caBundle in place");
    } catch (err) {
      await server.stop();
      throw err;
    }
    // Renews before expiry (another replica may have renewed already: the Secret is shared) and
    // writes the caBundle back if something reset it.
    const timer = setInterval(() => {
      const renew = async (): Promise<void> => {
        const next = await certificates();
        if (next.certPem !== set.certPem) {
          server.setCertificate(next.certPem, next.keyPem);
          logger.info({ secret: tls.secretName }, "serving the renewed certificate");
        }
        set = next;
        await patchCaBundle(kc, tls.webhookConfigName, set.caPem);
      };
      renew().catch((err: unknown) =>
        logger.warn({ err }, "could not renew the certificate; serving the last one"),
      );
    }, options.refreshEveryMs ?? 3_600_000);
    timer.unref();
    return {
      server,
      metrics,
      stop: async () => {
        clearInterval(timer);
        await server.stop();
      },
    };
  }

  let current = await readPair(tls.certFile, tls.keyFile);
  const server = await serve(current.cert, current.key);
  const timer = setInterval(() => {
    readPair(tls.certFile, tls.keyFile).then(
      (next) => {
        if (next.stamp === current.stamp) return;
        server.setCertificate(next.cert, next.key);
        current = next;
        logger.info({ certFile: tls.certFile }, "serving the rotated certificate");
      },
      (err: unknown) =>
        logger.warn(
          { err, certFile: tls.certFile },
          "could not reread the certificate; serving the last one",
        ),
    );
  }, options.reloadEveryMs ?? 30_000);
  timer.unref();
  return {
    server,
    metrics,
    stop: async () => {
      clearInterval(timer);
      await server.stop();
    },
  };
}
