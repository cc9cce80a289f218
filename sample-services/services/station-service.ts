import { ID_RULE, isId, isPhone } from "../domain/validation.js";
import { quoted } from "../echo.js";
import { Code, ServiceError } from "../grpc/errors.js";
import type {
  EventList,
  GetStationsRequest,
  ListEventsRequest,
  RecordScanRequest,
  StationList,
  TrackingEventMsg,
} from "../grpc/messages.js";
import type { UnaryHandler } from "../grpc/server-kit.js";
import type { TrackingEventRecord } from "../store/records.js";
import type { SampleStore } from "../store/sample-store.js";

/** station-service handlers: stations and in/out tracking events. */
export function stationHandlers(deps: {
  readonly store: SampleStore;
  readonly version: string;
  readonly now?: () => number;
}): Record<string, UnaryHandler> {
  const { store } = deps;
  const now = deps.now ?? Date.now;
  const stationOrThrow = async (id: string) => {
    if (!isId(id))
      throw new ServiceError(Code.INVALID_ARGUMENT, `station id ${quoted(id)} is not valid: ${ID_RULE}`);
    const station = await store.getStation(id);
    if (station === null) throw new ServiceError(Code.NOT_FOUND, `station ${quoted(id)} does not exist`);
    return station;
  };
  return {
    ListStations: async (): Promise<StationList> => ({ stations: await store.listStations() }),
    GetStations: async (req: GetStationsRequest): Promise<StationList> => {
      if (req.ids.length === 0)
        throw new ServiceError(Code.INVALID_ARGUMENT, "at least one station id is required");
      const stations = [];
      for (const id of req.ids) stations.push(await stationOrThrow(id));
      return { stations };
    },
    RecordScan: async (req: RecordScanRequest): Promise<TrackingEventMsg> => {
      if (!isId(req.orderId))
        throw new ServiceError(
          Code.INVALID_ARGUMENT,
          `order id ${quoted(req.orderId)} is not valid: ${ID_RULE}`,
        );
      if (req.direction !== "in" && req.direction !== "out")
        throw new ServiceError(
          Code.INVALID_ARGUMENT,
          `direction must be "in" or "out", not ${quoted(req.direction)}`,
        );
      if (!isPhone(req.staffPhone))
        throw new ServiceError(Code.INVALID_ARGUMENT, `staff phone ${quoted(req.staffPhone)} is not valid`);
      await stationOrThrow(req.stationId);
      const event: TrackingEventRecord = {
        orderId: req.orderId,
        stationId: req.stationId,
        direction: req.direction,
        atMs: now(),
        staffPhone: req.staffPhone,
        recordedBy: `station-service@${deps.version}`,
      };
      await store.appendEvent(event);
      return event;
    },
    ListEvents: async (req: ListEventsRequest): Promise<EventList> => {
      if (!isId(req.orderId))
        throw new ServiceError(
          Code.INVALID_ARGUMENT,
          `order id ${quoted(req.orderId)} is not valid: ${ID_RULE}`,
        );
      return { events: await store.listEvents(req.orderId) };
    },
  };
}
