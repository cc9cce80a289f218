import { isDnsLabel } from "./ids.js";
import { isRedisUrl, redisUrlProblem } from "./store/redis-url.js";

/** The two TraceManager roles. */
export const ROLES = ["sidecar", "gateway"] as const;
/** `sidecar` or `gateway`. */
export type Role = (typeof ROLES)[number];

/** Where records go: the embedded in-memory store, or Redis at a URL (standalone or Sentinel, `redis-url.ts`). */
export type StoreConfig = { readonly kind: "memory" } | { readonly kind: "redis"; readonly url: string };

/** A TraceManager's validated configuration. Every timing is in milliseconds. */
export interface TraceManagerConfig {
  readonly role: Role;
  /** Identity, as the downward API gives it: the pod's service (app label), version label and pod name. */
  readonly service: string;
  readonly version: string;
  readonly pod: string;
  readonly socketPath: string;
  readonly store: StoreConfig;
  readonly adminHost: string;
  /** 0 picks a free port. */
  readonly adminPort: number;
  /** The pod's Envoy admin base URL, or null when there is no Envoy to read (tests, bare runs). */
  readonly envoyAdminUrl: string | null;
  /** Lower-case header carrying the enrolled upgrade ids. */
  readonly enrolmentHeader: string;
  readonly checkBudgetMs: number;
  readonly heartbeatMs: number;
  readonly weightCacheMs: number;
  /** Records held per kind while the store is slow or down; beyond it records are dropped (counted, dirty). */
  readonly bufferLimit: number;
  readonly maxBatch: number;
  /** How long a pod stays dirty after its last fault, once the fault's condition has cleared. */
  readonly dirtyHoldMs: number;
  /** The watermark stays this far behind the clock so a Check still inside Envoy is never certified. */
  readonly watermarkLagMs: number;
  /**
   * The oldest a transaction can be (the controller's `maxTransactionAge`): how long a record loss
   * or an unproven restart keeps the pod dirty (ADR 0085).
   */
  readonly maxTransactionAgeMs: number;
  readonly maxHeaders: number;
  readonly maxHeaderBytes: number;
  readonly logLevel: string;
}

/** Defaults (DESIGN §4.9 where it names them). */
export const CONFIG_DEFAULTS = {
  socketPath: "/var/run/tranquil/tm.sock",
  adminHost: "0.0.0.0",
  adminPort: 9464,
  enrolmentHeader: "x-tranquil-release",
  checkBudgetMs: 20,
  heartbeatMs: 1000,
  weightCacheMs: 500,
  bufferLimit: 10_000,
  maxBatch: 512,
  dirtyHoldMs: 2000,
  watermarkLagMs: 100,
  maxTransactionAgeMs: 600_000,
  maxHeaders: 200,
  maxHeaderBytes: 64 * 1024,
  logLevel: "info",
} as const;

/** The environment variables `configFromEnv` reads. */
export const ENV_VARS = {
  role: "TM_ROLE",
  service: "TM_SERVICE",
  version: "TM_VERSION",
  pod: "POD_NAME",
  socketPath: "TM_SOCKET",
  store: "TM_STORE",
  adminHost: "TM_ADMIN_HOST",
  adminPort: "TM_ADMIN_PORT",
  envoyAdminUrl: "TM_ENVOY_ADMIN_URL",
  enrolmentHeader: "TM_ENROLMENT_HEADER",
  checkBudgetMs: "TM_CHECK_BUDGET_MS",
  heartbeatMs: "TM_HEARTBEAT_MS",
  weightCacheMs: "TM_WEIGHT_CACHE_MS",
  bufferLimit: "TM_BUFFER_LIMIT",
  maxBatch: "TM_MAX_BATCH",
  dirtyHoldMs: "TM_DIRTY_HOLD_MS",
  watermarkLagMs: "TM_WATERMARK_LAG_MS",
  maxTransactionAgeMs: "TM_MAX_TRANSACTION_AGE_MS",
  maxHeaders: "TM_MAX_HEADERS",
  maxHeaderBytes: "TM_MAX_HEADER_BYTES",
  logLevel: "TM_LOG_LEVEL",
} as const;

/** Thrown when the configuration is invalid; lists every problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid TraceManager configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/**
 * Parses and validates the TraceManager's environment once, into a typed config.
 * @throws ConfigError naming each variable that is missing or wrong, and what it should be.
 */
export function configFromEnv(env: Readonly<Record<string, string | undefined>>): TraceManagerConfig {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const int = (name: string, dflt: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}=${JSON.stringify(raw)} must be an integer in ${min}..${max}`);
      return dflt;
    }
    return n;
  };

  const roleRaw = get(ENV_VARS.role) ?? "sidecar";
  const role = (ROLES as readonly string[]).includes(roleRaw) ? (roleRaw as Role) : "sidecar";
  if (role !== roleRaw)
    problems.push(`${ENV_VARS.role}=${JSON.stringify(roleRaw)} must be one of ${ROLES.join(", ")}`);

  const label = (name: string, dflt: string | undefined): string => {
    const v = get(name) ?? dflt;
    if (v === undefined) problems.push(`${name} is required (a DNS label such as "reviews" or "v2")`);
    else if (!isDnsLabel(v))
      problems.push(
        `${name}=${JSON.stringify(v)} must be a DNS label (lower-case a-z, 0-9, '-', at most 63)`,
      );
    return v ?? "";
  };
  // A gateway is not a versioned service; its report still needs names.
  const service = label(ENV_VARS.service, role === "gateway" ? "ingressgateway" : undefined);
  const version = label(ENV_VARS.version, role === "gateway" ? "gateway" : undefined);

  const pod = get(ENV_VARS.pod) ?? "";
  if (pod === "") problems.push(`${ENV_VARS.pod} is required (set it from the downward API: metadata.name)`);
  // Pod names become part of store keys, which take DNS labels only.
  else if (!isDnsLabel(pod))
    problems.push(
      `${ENV_VARS.pod}=${JSON.stringify(pod)} must be a DNS label (a Deployment's pod names are)`,
    );

  const storeRaw = get(ENV_VARS.store) ?? "memory";
  let store: StoreConfig = { kind: "memory" };
  if (isRedisUrl(storeRaw)) {
    const wrong = redisUrlProblem(storeRaw);
    if (wrong === undefined) store = { kind: "redis", url: storeRaw };
    else problems.push(`${ENV_VARS.store}: ${wrong}`);
  } else if (storeRaw !== "memory")
    problems.push(
      `${ENV_VARS.store} must be "memory" or a redis://, rediss://, redis-sentinel:// or redis-cluster:// URL, not ${JSON.stringify(storeRaw.replace(/:[^:@/]*@/, ":***@"))}`,
    );

  let envoyAdminUrl: string | null = get(ENV_VARS.envoyAdminUrl) ?? null;
  if (envoyAdminUrl !== null) {
    try {
      const u = new URL(envoyAdminUrl);
      if (u.protocol !== "http:") throw new Error("not http");
      envoyAdminUrl = envoyAdminUrl.replace(/\/+$/, "");
    } catch {
      problems.push(
        `${ENV_VARS.envoyAdminUrl}=${JSON.stringify(envoyAdminUrl)} must be an http:// URL such as http://127.0.0.1:15000`,
      );
      envoyAdminUrl = null;
    }
  }

  const enrolmentHeader = (get(ENV_VARS.enrolmentHeader) ?? CONFIG_DEFAULTS.enrolmentHeader).toLowerCase();
  if (!HEADER_NAME.test(enrolmentHeader))
    problems.push(
      `${ENV_VARS.enrolmentHeader}=${JSON.stringify(enrolmentHeader)} is not a valid header name`,
    );

  const logLevel = get(ENV_VARS.logLevel) ?? CONFIG_DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`${ENV_VARS.logLevel} must be one of ${LOG_LEVELS.join(", ")}`);

  const socketPath = get(ENV_VARS.socketPath) ?? CONFIG_DEFAULTS.socketPath;
  // sun_path is 108 bytes on Linux.
  if (Buffer.byteLength(socketPath) > 107)
    problems.push(`${ENV_VARS.socketPath} is longer than a Unix socket path may be (107 bytes)`);

  const config: TraceManagerConfig = {
    role,
    service,
    version,
    pod,
    socketPath,
    store,
    adminHost: get(ENV_VARS.adminHost) ?? CONFIG_DEFAULTS.adminHost,
    adminPort: int(ENV_VARS.adminPort, CONFIG_DEFAULTS.adminPort, 0, 65535),
    envoyAdminUrl,
    enrolmentHeader,
    checkBudgetMs: int(ENV_VARS.checkBudgetMs, CONFIG_DEFAULTS.checkBudgetMs, 1, 10_000),
    heartbeatMs: int(ENV_VARS.heartbeatMs, CONFIG_DEFAULTS.heartbeatMs, 50, 600_000),
    weightCacheMs: int(ENV_VARS.weightCacheMs, CONFIG_DEFAULTS.weightCacheMs, 0, 600_000),
    bufferLimit: int(ENV_VARS.bufferLimit, CONFIG_DEFAULTS.bufferLimit, 1, 10_000_000),
    maxBatch: int(ENV_VARS.maxBatch, CONFIG_DEFAULTS.maxBatch, 1, 100_000),
    dirtyHoldMs: int(ENV_VARS.dirtyHoldMs, CONFIG_DEFAULTS.dirtyHoldMs, 0, 3_600_000),
    watermarkLagMs: int(ENV_VARS.watermarkLagMs, CONFIG_DEFAULTS.watermarkLagMs, 0, 60_000),
    maxTransactionAgeMs: int(
      ENV_VARS.maxTransactionAgeMs,
      CONFIG_DEFAULTS.maxTransactionAgeMs,
      1_000,
      7 * 24 * 3_600_000,
    ),
    maxHeaders: int(ENV_VARS.maxHeaders, CONFIG_DEFAULTS.maxHeaders, 1, 100_000),
    maxHeaderBytes: int(ENV_VARS.maxHeaderBytes, CONFIG_DEFAULTS.maxHeaderBytes, 64, 64 * 1024 * 1024),
    logLevel,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** A config for tests and embedding: defaults plus the given fields. */
export function makeConfig(
  fields: Pick<TraceManagerConfig, "role" | "service" | "version" | "pod" | "socketPath"> &
    Partial<TraceManagerConfig>,
): TraceManagerConfig {
  return {
    ...CONFIG_DEFAULTS,
    store: { kind: "memory" },
    envoyAdminUrl: null,
    ...fields,
  };
}
