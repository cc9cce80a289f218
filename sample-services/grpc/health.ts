import type {
  ServerUnaryCall,
  ServerWritableStream,
  sendUnaryData,
  UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { Code } from "./errors.js";
import { quoted } from "../echo.js";

/** grpc.health.v1 serving statuses. */
export const SERVING_STATUS = {
  serving: "SERVING",
  notServing: "NOT_SERVING",
  unknown: "SERVICE_UNKNOWN",
} as const;

type Status = (typeof SERVING_STATUS)[keyof typeof SERVING_STATUS];

/**
 * grpc.health.v1.Health for one server: the overall status (service "") and one named service.
 * Health calls never count as application traffic.
 */
export class HealthService {
  #status: Status = SERVING_STATUS.serving;
  readonly #watchers = new Set<ServerWritableStream<{ service: string }, { status: string }>>();

  constructor(private readonly serviceId: string) {}

  /** Sets the status of the server and its service, and tells every watcher. */
  set(status: "SERVING" | "NOT_SERVING"): void {
    this.#status = status;
    for (const w of this.#watchers) w.write({ status: this.#statusOf(w.request.service) });
  }

  /** Ends every Watch stream (at shutdown, so the server can drain). */
  endWatches(): void {
    for (const w of this.#watchers) w.end();
    this.#watchers.clear();
  }

  /** The handlers to register with `server.addService(healthDefinition(), …)`. */
  implementation(): UntypedServiceImplementation {
    return {
      Check: (
        call: ServerUnaryCall<{ service: string }, { status: string }>,
        cb: sendUnaryData<{ status: string }>,
      ) => {
        const status = this.#statusOf(call.request.service);
        if (status === SERVING_STATUS.unknown) {
          cb({ code: Code.NOT_FOUND, details: `unknown service ${quoted(call.request.service)}` });
          return;
        }
        cb(null, { status });
      },
      Watch: (call: ServerWritableStream<{ service: string }, { status: string }>) => {
        this.#watchers.add(call);
        call.write({ status: this.#statusOf(call.request.service) });
        call.on("cancelled", () => this.#watchers.delete(call));
      },
    };
  }

  #statusOf(service: string): Status {
    return service === "" || service === this.serviceId ? this.#status : SERVING_STATUS.unknown;
  }
}
