import { fileURLToPath } from "node:url";
import { loadPackageDefinition, type GrpcObject, type ServiceDefinition } from "@grpc/grpc-js";
import { loadSync, type Options } from "@grpc/proto-loader";
import { GRPC_SERVICE_IDS, type GrpcServiceName } from "../names.js";

/** Folder of the sample protos (also the import root). */
export const PROTO_DIR = fileURLToPath(new URL("../proto/", import.meta.url));

/** Loader options shared by servers and clients: camelCase fields, int64 as number, defaults set. */
export const LOADER_OPTIONS: Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

const FILES = ["auth.proto", "order.proto", "item.proto", "station.proto", "grpc/health/v1/health.proto"];

let cached: GrpcObject | undefined;

/** Loads every sample proto once per process. */
export function sampleProtos(): GrpcObject {
  cached ??= loadPackageDefinition(loadSync(FILES, LOADER_OPTIONS));
  return cached;
}

function lookup(fullName: string): ServiceDefinition {
  let node: unknown = sampleProtos();
  for (const part of fullName.split(".")) node = (node as Record<string, unknown> | undefined)?.[part];
  const service = (node as { service?: ServiceDefinition } | undefined)?.service;
  if (service === undefined) throw new Error(`sample protos: no gRPC service named ${fullName}`);
  return service;
}

/** The service definition (methods, paths, serializers) of a sample gRPC service. */
export function serviceDefinition(name: GrpcServiceName): ServiceDefinition {
  return lookup(GRPC_SERVICE_IDS[name]);
}

/** The grpc.health.v1.Health service definition. */
export function healthDefinition(): ServiceDefinition {
  return lookup("grpc.health.v1.Health");
}
