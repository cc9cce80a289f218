import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor } from "@grpc/grpc-js";
import { loadSync, type Options, type PackageDefinition } from "@grpc/proto-loader";

/** Options every Tranquil loader of the Envoy protos uses, so server and clients agree on shapes. */
export const ENVOY_PROTO_LOADER_OPTIONS = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
} as const satisfies Options;

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The folder holding the trimmed protos (Envoy's paths below it): beside this module, or, when
 * running the tsc build in `dist/` (which copies no .proto files), the source folder.
 */
export const ENVOY_PROTO_DIR =
  [here, join(here, "..", "..", "..", "trace-manager", "proto")].find((d) =>
    existsSync(join(d, "envoy", "service", "auth", "v3", "external_auth.proto")),
  ) ?? here;

/** The trimmed proto files, relative to `ENVOY_PROTO_DIR`. */
export const ENVOY_PROTO_FILES = [
  "envoy/service/auth/v3/external_auth.proto",
  "envoy/service/accesslog/v3/als.proto",
] as const;

/** gRPC paths Envoy calls. */
export const ENVOY_METHOD_PATHS = {
  check: "/envoy.service.auth.v3.Authorization/Check",
  streamAccessLogs: "/envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs",
} as const;

/** The two Envoy services, as client constructors carrying their `service` definitions. */
export interface EnvoyProtos {
  /** `envoy.service.auth.v3.Authorization` (`Check`). */
  readonly Authorization: ServiceClientConstructor;
  /** `envoy.service.accesslog.v3.AccessLogService` (`StreamAccessLogs`, client stream). */
  readonly AccessLogService: ServiceClientConstructor;
  readonly packageDefinition: PackageDefinition;
}

let cached: EnvoyProtos | undefined;

function pick(root: GrpcObject, path: readonly string[]): ServiceClientConstructor {
  let node: unknown = root;
  for (const part of path) node = (node as Record<string, unknown> | undefined)?.[part];
  if (typeof node !== "function")
    throw new Error(`trimmed Envoy protos: service ${path.join(".")} is missing`);
  return node as ServiceClientConstructor;
}

/**
 * Loads the trimmed Envoy protos (Envoy's packages, services, method names and field numbers)
 * once per process. The server and the local mesh's Envoy stand-in both use this.
 */
export function loadEnvoyProtos(): EnvoyProtos {
  if (cached !== undefined) return cached;
  const packageDefinition = loadSync([...ENVOY_PROTO_FILES], {
    ...ENVOY_PROTO_LOADER_OPTIONS,
    includeDirs: [ENVOY_PROTO_DIR],
  });
  const root = loadPackageDefinition(packageDefinition);
  cached = {
    Authorization: pick(root, ["envoy", "service", "auth", "v3", "Authorization"]),
    AccessLogService: pick(root, ["envoy", "service", "accesslog", "v3", "AccessLogService"]),
    packageDefinition,
  };
  return cached;
}
