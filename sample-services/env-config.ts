import { DEFAULT_PORTS, isServiceName, SERVICE_NAMES, SERVICE_UPSTREAMS, type ServiceName } from "./names.js";
import { envName } from "./grpc/upstreams.js";
import type { Behaviour } from "./domain/behaviour-version.js";

/** A standalone service's configuration, parsed once from the environment. */
export interface ServiceEnvConfig {
  readonly name: ServiceName;
  readonly version: string;
  readonly host: string;
  readonly port: number;
  readonly adminPort?: number;
  /** `redis://…` or `memory` */
  readonly storeUrl: string;
  readonly upstreams: Partial<Record<ServiceName, string>>;
  readonly enrolmentHeader?: string;
  readonly behaviour?: Behaviour;
  readonly secret?: string;
  readonly faults?: { readonly errorRate?: number; readonly extraLatencyMs?: number };
  readonly seed: boolean;
  readonly logLevel: string;
}

/** The variables `main.ts` reads, with what each means (also printed on a configuration error). */
export const ENV_HELP = [
  `SERVICE           one of ${SERVICE_NAMES.join(", ")} (required)`,
  "VERSION           release version, e.g. v1 (required)",
  "HOST              listen host (default 127.0.0.1)",
  "PORT              application port (default per service: 8080, 50051..50054)",
  "ADMIN_PORT        gRPC services: port of /metrics and /healthz (default PORT + 1000, free if PORT=0; 'off' disables)",
  "STORE_URL         redis://host:port[/db] or 'memory' (default memory: one process only)",
  "UPSTREAM_<NAME>   host:port of each upstream, e.g. UPSTREAM_AUTH_SERVICE=127.0.0.1:50051",
  "ENROLMENT_HEADER  header to propagate (default x-tranquil-release)",
  "BEHAVIOUR         v1 or v2 (default from VERSION)",
  "AUTH_SECRET       shared key material of auth-service (all versions must share it)",
  "FAULT_ERROR_RATE  0..1 share of calls that fail (a bad release)",
  "FAULT_EXTRA_LATENCY_MS  added latency per call",
  "SEED              seed items, stations and staff on start (default true)",
  "LOG_LEVEL         pino level (default info)",
].join("\n");

function port(raw: string, variable: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${variable}=${raw} is not a port number (0..65535)`);
  return n;
}

/**
 * Parses and validates the environment of a standalone service. Throws an Error that names
 * the variable to fix.
 */
export function parseServiceEnv(env: NodeJS.ProcessEnv): ServiceEnvConfig {
  const name = env.SERVICE ?? "";
  if (!isServiceName(name))
    throw new Error(`SERVICE=${JSON.stringify(name)} is not one of ${SERVICE_NAMES.join(", ")}`);
  const version = env.VERSION ?? "";
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(version))
    throw new Error(`VERSION=${JSON.stringify(version)} must be a label like v1 (letters, digits, . _ -)`);
  const appPort = env.PORT === undefined ? DEFAULT_PORTS[name] : port(env.PORT, "PORT");
  let adminPort: number | undefined;
  if (name !== "logistics-api" && env.ADMIN_PORT !== "off")
    // PORT=0 asks for a free port; the admin port then is free too.
    adminPort =
      env.ADMIN_PORT === undefined
        ? appPort === 0
          ? 0
          : appPort + 1000
        : port(env.ADMIN_PORT, "ADMIN_PORT");
  const storeUrl = env.STORE_URL ?? "memory";
  if (storeUrl !== "memory" && !/^rediss?:\/\//.test(storeUrl))
    throw new Error(`STORE_URL=${storeUrl} must be redis://host:port[/db] or memory`);
  const upstreams: Partial<Record<ServiceName, string>> = {};
  for (const up of SERVICE_UPSTREAMS[name]) {
    const variable = `UPSTREAM_${envName(up)}`;
    const value = env[variable];
    if (value === undefined || value === "") throw new Error(`${variable} is required: ${name} calls ${up}`);
    if (!/^[^\s:]+:[0-9]{1,5}$/.test(value)) throw new Error(`${variable}=${value} must be host:port`);
    upstreams[up] = value;
  }
  const behaviour = env.BEHAVIOUR;
  if (behaviour !== undefined && behaviour !== "v1" && behaviour !== "v2")
    throw new Error(`BEHAVIOUR=${behaviour} must be v1 or v2`);
  const errorRate = env.FAULT_ERROR_RATE === undefined ? undefined : Number(env.FAULT_ERROR_RATE);
  if (errorRate !== undefined && !(errorRate >= 0 && errorRate <= 1))
    throw new Error(`FAULT_ERROR_RATE=${env.FAULT_ERROR_RATE ?? ""} must be a number from 0 to 1`);
  const extra = env.FAULT_EXTRA_LATENCY_MS === undefined ? undefined : Number(env.FAULT_EXTRA_LATENCY_MS);
  if (extra !== undefined && !(Number.isInteger(extra) && extra >= 0))
    throw new Error(
      `FAULT_EXTRA_LATENCY_MS=${env.FAULT_EXTRA_LATENCY_MS ?? ""} must be a whole number of ms`,
    );
  const faults = {
    ...(errorRate !== undefined ? { errorRate } : {}),
    ...(extra !== undefined ? { extraLatencyMs: extra } : {}),
  };
  return {
    name,
    version,
    host: env.HOST ?? "127.0.0.1",
    port: appPort,
    ...(adminPort !== undefined ? { adminPort } : {}),
    storeUrl,
    upstreams,
    ...(env.ENROLMENT_HEADER ? { enrolmentHeader: env.ENROLMENT_HEADER } : {}),
    ...(behaviour !== undefined ? { behaviour } : {}),
    ...(env.AUTH_SECRET ? { secret: env.AUTH_SECRET } : {}),
    ...(Object.keys(faults).length > 0 ? { faults } : {}),
    seed: env.SEED !== "false",
    logLevel: env.LOG_LEVEL ?? "info",
  };
}
