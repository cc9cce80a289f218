import type { Server } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Logger } from "pino";
import type { Activity } from "../activity.js";
import type { Faults } from "../grpc/server-kit.js";
import type { UpstreamPool } from "../grpc/upstreams.js";
import type { ServiceMetrics } from "../metrics.js";
import { encodeServedBy, SERVED_BY_KEY, servedByEntry } from "../served-by.js";
import { ApiError, toApiError } from "./http-errors.js";
import { apiContext, type ApiContext } from "./request-context.js";
import * as accounts from "./account-routes.js";
import * as orders from "./order-routes.js";
import type { RouteResult, RouteSettings } from "./route-helpers.js";
import { echo, MESSAGE_MAX } from "../echo.js";

/** Everything logistics-api needs. */
export interface LogisticsApiOptions {
  readonly version: string;
  readonly host: string;
  readonly port: number;
  readonly upstreams: UpstreamPool;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly activity: Activity;
  readonly enrolmentHeader: string;
  readonly faults?: Faults;
  readonly random?: () => number;
  /** Upper bound of the `x-sample-delay-ms` header (default 30 s). */
  readonly maxDelayMs?: number;
  /** How long `stop()` waits for in-flight requests (default 30 s). */
  readonly drainTimeoutMs?: number;
}

/** A started logistics-api. */
export interface StartedLogisticsApi {
  readonly address: string;
  stop(): Promise<void>;
}

type Route = (req: Request, ctx: ApiContext) => Promise<RouteResult>;

/**
 * Builds the REST entry: express routes that translate to gRPC calls, JSON errors, `servedBy`
 * in every body (and `x-served-by` header), plus `/healthz` and `/metrics`, which do not count
 * as application traffic.
 */
export function createLogisticsApp(
  opts: LogisticsApiOptions,
  isStopping: () => boolean = () => false,
): express.Express {
  const self = servedByEntry("logistics-api", opts.version);
  const random = opts.random ?? Math.random;
  const settings: RouteSettings = { maxDelayMs: opts.maxDelayMs ?? 30_000 };
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  app.get("/healthz", (_req, res) => {
    res.status(isStopping() ? 503 : 200).json({
      status: isStopping() ? "stopping" : "serving",
      service: "logistics-api",
      version: opts.version,
      lastServedAt: opts.activity.lastServedAt(),
      inFlight: opts.activity.inFlight(),
    });
  });
  app.get("/metrics", async (_req, res) => {
    res.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics());
  });

  // Everything below is application traffic.
  app.use((req, res, next) => {
    const end = opts.activity.begin();
    const started = performance.now();
    if (isStopping()) res.set("connection", "close");
    res.on("close", () => {
      end();
      const route = (req.route as { path?: string } | undefined)?.path;
      opts.metrics.observe(
        `${req.method} ${route ?? "unmatched"}`,
        String(res.statusCode),
        (performance.now() - started) / 1000,
      );
    });
    next();
  });
  app.use(express.json({ limit: "100kb" }));

  const handle =
    (route: Route) =>
    async (req: Request, res: Response): Promise<void> => {
      const gone = new AbortController();
      res.on("close", () => {
        if (!res.writableFinished) gone.abort();
      });
      const ctx = apiContext(req, self, opts.upstreams, opts.enrolmentHeader, gone.signal);
      res.set("x-request-id", ctx.requestId);
      try {
        if ((opts.faults?.extraLatencyMs ?? 0) > 0) await sleep(opts.faults?.extraLatencyMs);
        if ((opts.faults?.errorRate ?? 0) > 0 && random() < (opts.faults?.errorRate ?? 0))
          throw new ApiError(
            500,
            "INTERNAL",
            `${self}: injected fault (errorRate ${opts.faults?.errorRate})`,
          );
        const result = await route(req, ctx);
        const servedBy = ctx.servedBy.list();
        res
          .set(SERVED_BY_KEY, encodeServedBy(servedBy))
          .status(result.status)
          .json({ ...result.body, servedBy });
      } catch (err) {
        if (gone.signal.aborted) {
          opts.logger.debug({ requestId: ctx.requestId, path: req.path }, "caller went away");
          return;
        }
        const e = toApiError(err);
        if (e.status >= 500)
          opts.logger.warn({ err, requestId: ctx.requestId, path: req.path }, "request failed");
        const servedBy = ctx.servedBy.list();
        res
          .set(SERVED_BY_KEY, encodeServedBy(servedBy))
          .status(e.status)
          .json({
            error: { status: e.status, code: e.code, message: e.message },
            requestId: ctx.requestId,
            servedBy,
          });
      }
    };

  app.post("/users", handle(accounts.register));
  app.post("/sessions", handle(accounts.login));
  app.get("/stations", handle(accounts.listStations));
  app.get("/items", handle(accounts.listItems));
  app.post(
    "/orders",
    handle((req, ctx) => orders.createOrder(req, ctx, settings)),
  );
  app.get("/orders/:id", handle(orders.getOrder));
  app.get("/users/:phone/orders", handle(orders.listUserOrders));
  app.post("/orders/:id/scan", handle(orders.scan));
  app.post("/orders/:id/receive", handle(orders.receive));

  app.use((req: Request, res: Response) => {
    res.status(404).json({
      error: { status: 404, code: "NOT_FOUND", message: `no route for ${req.method} ${echo(req.path)}` },
      servedBy: [self],
    });
  });
  // Body parser failures (malformed JSON, too large) land here.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status =
      typeof (err as { status?: unknown }).status === "number" ? (err as { status: number }).status : 500;
    const message =
      status === 400
        ? `request body is not valid JSON: ${echo((err as Error).message, MESSAGE_MAX)}`
        : echo((err as Error).message, MESSAGE_MAX);
    res.status(status).json({
      error: { status, code: status === 400 ? "INVALID_ARGUMENT" : "INTERNAL", message },
      servedBy: [self],
    });
  });
  return app;
}

/** Starts logistics-api on `host:port`; `stop()` stops accepting, drains and closes. */
export async function startLogisticsApi(opts: LogisticsApiOptions): Promise<StartedLogisticsApi> {
  let stopping = false;
  const app = createLogisticsApp(opts, () => stopping);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(opts.port, opts.host, (err?: Error) =>
      err
        ? reject(new Error(`logistics-api: could not listen on ${opts.host}:${opts.port}`, { cause: err }))
        : resolve(s),
    );
  });
  const addr = server.address();
  if (addr === null || typeof addr === "string")
    throw new Error("logistics-api: could not read the listening port");
  const address = `${opts.host}:${addr.port}`;
  opts.logger.info({ address }, "logistics-api listening");

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const deadline = Date.now() + (opts.drainTimeoutMs ?? 30_000);
      // Idle keep-alive connections would hold close() open; in-flight requests finish first.
      while (opts.activity.inFlight() > 0 && Date.now() < deadline) {
        server.closeIdleConnections();
        await sleep(20);
      }
      server.closeAllConnections();
      await closed;
      opts.upstreams.close();
      opts.logger.info("logistics-api stopped");
    })();
    return stopped;
  };
  return { address, stop };
}
