/** The five logistics sample services. */
export const SERVICE_NAMES = [
  "logistics-api",
  "auth-service",
  "order-service",
  "item-service",
  "station-service",
] as const;

/** One of the five logistics sample services. */
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Wire protocol each service speaks on its one application port. */
export const SERVICE_PROTOCOLS = {
  "logistics-api": "http",
  "auth-service": "grpc",
  "order-service": "grpc",
  "item-service": "grpc",
  "station-service": "grpc",
} as const satisfies Record<ServiceName, "http" | "grpc">;

/** Default application ports for standalone runs (`main.ts`); in-process launches default to a free port. */
export const DEFAULT_PORTS = {
  "logistics-api": 8080,
  "auth-service": 50051,
  "order-service": 50052,
  "item-service": 50053,
  "station-service": 50054,
} as const satisfies Record<ServiceName, number>;

/** Fully qualified gRPC service names (proto package + service), used in paths and health checks. */
export const GRPC_SERVICE_IDS = {
  "auth-service": "tranquil.sample.auth.AuthService",
  "order-service": "tranquil.sample.order.OrderService",
  "item-service": "tranquil.sample.item.ItemService",
  "station-service": "tranquil.sample.station.StationService",
} as const;

/** A gRPC-speaking sample service. */
export type GrpcServiceName = keyof typeof GRPC_SERVICE_IDS;

/** Which upstreams each service dials (`ServiceLaunchOptions.upstreams` must name these). */
export const SERVICE_UPSTREAMS = {
  "logistics-api": ["auth-service", "order-service", "item-service", "station-service"],
  "auth-service": [],
  "order-service": ["item-service", "station-service"],
  "item-service": [],
  "station-service": [],
} as const satisfies Record<ServiceName, readonly GrpcServiceName[]>;

/** True when `value` names one of the five services. */
export function isServiceName(value: string): value is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(value);
}
