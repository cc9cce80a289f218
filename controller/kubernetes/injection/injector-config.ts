/**
 * The webhook process's configuration, parsed once from its environment (`TRANQUIL_INJECT_*`,
 * listed in {@link INJECTOR_ENV}) and validated with every problem named at once: what to
 * inject (the {@link SidecarTemplate}), where to serve, and where its certificate comes from.
 */
import { isIP } from "node:net";
import { redisUrlProblem } from "../../../trace-manager/store/redis-url.js";
import { SIDECAR_DEFAULTS, type SidecarTemplate, type TraceStoreSetting } from "./sidecar-template.js";

/** Where the serving certificate comes from. */
export type TlsSource =
  /** Made by the webhook, kept in a Secret, its CA written into the MutatingWebhookConfiguration. */
  | {
      readonly kind: "managed";
      readonly secretName: string;
      readonly webhookConfigName: string;
      readonly service: string;
      readonly namespace: string;
      /** IP addresses the certificate names too, for a configuration that calls the webhook by URL. */
      readonly ips: readonly string[];
    }
  /** Files a mounted Secret holds (cert-manager's `tls.crt`/`tls.key`), reread when they change. */
  | { readonly kind: "files"; readonly certFile: string; readonly keyFile: string };

/** The webhook's validated configuration. */
export interface InjectorConfig {
  readonly template: SidecarTemplate;
  readonly host: string;
  readonly port: number;
  readonly tls: TlsSource;
  readonly logLevel: string;
}

/** The environment variables {@link injectorConfigFromEnv} reads. */
export const INJECTOR_ENV = {
  image: "TRANQUIL_INJECT_IMAGE",
  imagePullPolicy: "TRANQUIL_INJECT_IMAGE_PULL_POLICY",
  nativeSidecar: "TRANQUIL_INJECT_NATIVE_SIDECAR",
  traceStore: "TRANQUIL_INJECT_TRACE_STORE",
  traceStoreSecret: "TRANQUIL_INJECT_TRACE_STORE_SECRET",
  adminPort: "TRANQUIL_INJECT_ADMIN_PORT",
  maxTransactionAgeMs: "TRANQUIL_INJECT_MAX_TRANSACTION_AGE_MS",
  runAsUser: "TRANQUIL_INJECT_RUN_AS_USER",
  cpuRequest: "TRANQUIL_INJECT_CPU_REQUEST",
  memoryRequest: "TRANQUIL_INJECT_MEMORY_REQUEST",
  memoryLimit: "TRANQUIL_INJECT_MEMORY_LIMIT",
  cpuLimit: "TRANQUIL_INJECT_CPU_LIMIT",
  host: "TRANQUIL_INJECT_HOST",
  port: "TRANQUIL_INJECT_PORT",
  certFile: "TRANQUIL_INJECT_TLS_CERT_FILE",
  keyFile: "TRANQUIL_INJECT_TLS_KEY_FILE",
  secretName: "TRANQUIL_INJECT_TLS_SECRET",
  webhookConfigName: "TRANQUIL_INJECT_WEBHOOK_CONFIG",
  service: "TRANQUIL_INJECT_SERVICE",
  tlsIps: "TRANQUIL_INJECT_TLS_IPS",
  namespace: "POD_NAMESPACE",
  logLevel: "TRANQUIL_INJECT_LOG_LEVEL",
} as const;

/** Defaults of the serving side (the manifests in `manifests/injection/` use these names). */
export const INJECTOR_DEFAULTS = {
  host: "0.0.0.0",
  port: 8443,
  secretName: "tranquil-injector-tls",
  webhookConfigName: "tranquil-trace-manager-injector",
  service: "tranquil-injector",
  logLevel: "info",
} as const;

/** Thrown for an invalid environment; lists every problem. */
export class InjectorConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid injection webhook configuration: ${problems.join("; ")}`);
    this.name = "InjectorConfigError";
  }
}

const QUANTITY = /^(\d+(\.\d+)?|\.\d+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Parses the environment. @throws InjectorConfigError naming each wrong or missing variable. */
export function injectorConfigFromEnv(env: Readonly<Record<string, string | undefined>>): InjectorConfig {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const int = (name: string, dflt: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return dflt;
    const n = Number(raw);
    if (Number.isInteger(n) && n >= min && n <= max) return n;
    problems.push(`${name}=${JSON.stringify(raw)} must be an integer in ${min}..${max}`);
    return dflt;
  };
  const quantity = (name: string, dflt: string): string => {
    const v = get(name) ?? dflt;
    if (!QUANTITY.test(v))
      problems.push(`${name}=${JSON.stringify(v)} is not a Kubernetes quantity (e.g. 20m, 64Mi)`);
    return v;
  };

  const image = get(INJECTOR_ENV.image) ?? "";
  if (image === "") problems.push(`${INJECTOR_ENV.image} is required (the TraceManager image)`);
  const pull = get(INJECTOR_ENV.imagePullPolicy) ?? SIDECAR_DEFAULTS.imagePullPolicy;
  const pullPolicies = ["Always", "IfNotPresent", "Never"] as const;
  const imagePullPolicy = pullPolicies.find((p) => p === pull) ?? SIDECAR_DEFAULTS.imagePullPolicy;
  if (imagePullPolicy !== pull)
    problems.push(`${INJECTOR_ENV.imagePullPolicy} must be one of ${pullPolicies.join(", ")}`);

  const native = get(INJECTOR_ENV.nativeSidecar) ?? "false";
  if (native !== "true" && native !== "false")
    problems.push(`${INJECTOR_ENV.nativeSidecar} must be true or false`);
  const traceStore = traceStoreFrom(
    get(INJECTOR_ENV.traceStore),
    get(INJECTOR_ENV.traceStoreSecret),
    problems,
  );
  const maxAge = get(INJECTOR_ENV.maxTransactionAgeMs);
  const cpuLimit = get(INJECTOR_ENV.cpuLimit);
  const template: SidecarTemplate = {
    image,
    imagePullPolicy,
    entryPoint: SIDECAR_DEFAULTS.entryPoint,
    nativeSidecar: native === "true",
    traceStore,
    adminPort: int(INJECTOR_ENV.adminPort, SIDECAR_DEFAULTS.adminPort, 1, 65535),
    envoyAdminUrl: SIDECAR_DEFAULTS.envoyAdminUrl,
    ...(maxAge !== undefined
      ? { maxTransactionAgeMs: int(INJECTOR_ENV.maxTransactionAgeMs, 0, 1_000, 7 * 24 * 3_600_000) }
      : {}),
    runAsUser: int(INJECTOR_ENV.runAsUser, SIDECAR_DEFAULTS.runAsUser, 1, 2_147_483_647),
    resources: {
      cpuRequest: quantity(INJECTOR_ENV.cpuRequest, SIDECAR_DEFAULTS.resources.cpuRequest),
      memoryRequest: quantity(INJECTOR_ENV.memoryRequest, SIDECAR_DEFAULTS.resources.memoryRequest),
      memoryLimit: quantity(INJECTOR_ENV.memoryLimit, SIDECAR_DEFAULTS.resources.memoryLimit),
      ...(cpuLimit !== undefined ? { cpuLimit: quantity(INJECTOR_ENV.cpuLimit, cpuLimit) } : {}),
    },
  };
  if (template.runAsUser === 1337)
    problems.push(
      `${INJECTOR_ENV.runAsUser} must not be 1337: Istio exempts that uid's traffic from the proxy`,
    );

  const logLevel = get(INJECTOR_ENV.logLevel) ?? INJECTOR_DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`${INJECTOR_ENV.logLevel} must be one of ${LOG_LEVELS.join(", ")}`);
  const config: InjectorConfig = {
    template,
    host: get(INJECTOR_ENV.host) ?? INJECTOR_DEFAULTS.host,
    port: int(INJECTOR_ENV.port, INJECTOR_DEFAULTS.port, 0, 65535),
    tls: tlsFrom(get, problems),
    logLevel,
  };
  if (problems.length > 0) throw new InjectorConfigError(problems);
  return config;
}

function traceStoreFrom(
  url: string | undefined,
  secret: string | undefined,
  problems: string[],
): TraceStoreSetting {
  if (url !== undefined && secret !== undefined) {
    problems.push(`set ${INJECTOR_ENV.traceStore} or ${INJECTOR_ENV.traceStoreSecret}, not both`);
  } else if (secret !== undefined) {
    const [name = "", key = ""] = secret.split("/");
    if (name !== "" && key !== "") return { secret: { name, key } };
    problems.push(`${INJECTOR_ENV.traceStoreSecret} must be <secret name>/<key>`);
  } else if (url !== undefined) {
    const wrong = redisUrlProblem(url);
    if (wrong === undefined) return { url };
    problems.push(`${INJECTOR_ENV.traceStore}: ${wrong}`);
  } else {
    problems.push(
      `${INJECTOR_ENV.traceStore} (a Redis URL) or ${INJECTOR_ENV.traceStoreSecret} (<secret>/<key> holding one) is required: the controller reads what the TraceManagers write`,
    );
  }
  return { url: "" };
}

function tlsFrom(get: (name: string) => string | undefined, problems: string[]): TlsSource {
  const certFile = get(INJECTOR_ENV.certFile);
  const keyFile = get(INJECTOR_ENV.keyFile);
  if (certFile !== undefined || keyFile !== undefined) {
    if (certFile === undefined || keyFile === undefined)
      problems.push(`${INJECTOR_ENV.certFile} and ${INJECTOR_ENV.keyFile} go together`);
    return { kind: "files", certFile: certFile ?? "", keyFile: keyFile ?? "" };
  }
  const namespace = get(INJECTOR_ENV.namespace) ?? "";
  if (namespace === "")
    problems.push(
      `${INJECTOR_ENV.namespace} is required to manage the certificate (downward API: metadata.namespace)`,
    );
  const ips = (get(INJECTOR_ENV.tlsIps) ?? "")
    .split(",")
    .map((ip) => ip.trim())
    .filter((ip) => ip !== "");
  for (const ip of ips)
    if (isIP(ip) === 0) problems.push(`${INJECTOR_ENV.tlsIps}: ${JSON.stringify(ip)} is not an IP address`);
  return {
    kind: "managed",
    secretName: get(INJECTOR_ENV.secretName) ?? INJECTOR_DEFAULTS.secretName,
    webhookConfigName: get(INJECTOR_ENV.webhookConfigName) ?? INJECTOR_DEFAULTS.webhookConfigName,
    service: get(INJECTOR_ENV.service) ?? INJECTOR_DEFAULTS.service,
    namespace,
    ips,
  };
}
