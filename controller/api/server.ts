/**
 * The controller's HTTP API (express): the CLI's verbs as JSON, a bearer token on mutating
 * calls, JSON errors with a message, and a server-sent-events stream of status for watchers.
 *
 * Upgrades are namespaced: `?namespace=<ns>` picks the namespace (default `default`); the list
 * without it shows every namespace.
 *
 *   GET  /healthz                                      the process runs
 *   GET  /readyz                                       200 when ready, else 503 with the reasons
 *   GET  /v1/upgrades[?namespace=]                     list
 *   GET  /v1/upgrades/:name[?namespace=]               one
 *   GET  /v1/upgrades/:name/events[?namespace=]        SSE: `status` events until the upgrade ends
 *   POST /v1/upgrades        {name, namespace?, spec}  create (token)
 *   POST /v1/upgrades/:name/{pause,resume,promote,abort}[?namespace=]   (token)
 */
import express, { type NextFunction, type Request, type Response } from "express";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { TERMINAL_PHASES } from "../engine/phases.js";
import { InvalidSpecError } from "../upgrade-spec/validate.js";
import {
  keyString,
  type UpgradeEvent,
  type UpgradeKey,
  type UpgradeRecord,
  type UpgradeStore,
} from "../ports/upgrade-store.js";
import { requireBearer } from "./auth.js";
import { DEFAULT_NAMESPACE, UpgradeRequestError, UpgradesService } from "./upgrades-service.js";
import { toView } from "./view.js";

/** Options of {@link createApi}. */
export interface ApiOptions {
  readonly store: UpgradeStore;
  readonly token: string;
  readonly logger: Logger;
  readonly clock?: () => number;
  /** How often SSE streams send a keep-alive comment. */
  readonly keepAliveMs?: number;
  /** The controller's metrics, served at GET /metrics (Prometheus text format). */
  readonly metrics?: Registry;
  /** What keeps the controller from being ready (GET /readyz); none = ready. */
  readonly notReady?: () => readonly string[];
}

type Verb = "pause" | "resume" | "promote" | "abort";
const VERBS: readonly Verb[] = ["pause", "resume", "promote", "abort"];

/** Builds the express app. */
export function createApi(options: ApiOptions): express.Express {
  const service = new UpgradesService({
    store: options.store,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const auth = requireBearer(options.token);
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json({ limit: "256kb" }));

  const registry = options.metrics;
  if (registry !== undefined) {
    app.get("/metrics", async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    });
  }

  app.get("/healthz", (_req, res) => {
    res.json({ ok: true });
  });

  app.get("/readyz", (_req, res) => {
    const reasons = options.notReady?.() ?? [];
    res.status(reasons.length === 0 ? 200 : 503).json({ ready: reasons.length === 0, reasons });
  });

  app.get("/v1/upgrades", async (req, res) => {
    const namespace = namespaceOf(req);
    res.json({ upgrades: (await service.list(namespace)).map(toView) });
  });

  app.get("/v1/upgrades/:name", async (req, res) => {
    res.json(toView(await service.get(keyOf(req))));
  });

  app.get("/v1/upgrades/:name/events", async (req, res) => {
    const key = keyOf(req);
    const id = keyString(key);
    // Subscribe before reading: with a remote store a change can land while the read is in
    // flight, and if it were the terminal one the stream would never end. Read again until no
    // change arrived during a read, so the first event is at least as new as any missed one.
    let live: ((event: UpgradeEvent) => void) | undefined = undefined;
    let changedDuringRead = false;
    const stop = options.store.watch({
      onEvent: (event) => {
        if (keyString(event.upgrade) !== id) return;
        if (live) live(event);
        else changedDuringRead = true;
      },
    });
    let first: UpgradeRecord;
    try {
      // Bounded, so a store that changes faster than it reads cannot hold the request forever.
      let reads = 0;
      do {
        changedDuringRead = false;
        first = await service.get(key);
      } while (changedDuringRead && ++reads < 10);
    } catch (err) {
      stop();
      throw err;
    }
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    const send = (u: UpgradeRecord): boolean => {
      res.write(`event: status\ndata: ${JSON.stringify(toView(u))}\n\n`);
      return TERMINAL_PHASES.includes(u.status.phase);
    };
    if (send(first)) {
      stop();
      res.end();
      return;
    }
    const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), options.keepAliveMs ?? 15_000);
    const finish = (): void => {
      clearInterval(keepAlive);
      stop();
      res.end();
    };
    live = (event) => {
      if (event.type === "DELETED" || send(event.upgrade)) finish();
    };
    req.on("close", finish);
  });

  app.post("/v1/upgrades", auth, async (req, res) => {
    const body = (req.body ?? {}) as { name?: unknown; namespace?: unknown; spec?: unknown };
    if (
      typeof body.name !== "string" ||
      (body.namespace !== undefined && typeof body.namespace !== "string")
    ) {
      res.status(400).json({
        error:
          'body must be {"name": <upgrade name>, "namespace": <optional namespace>, "spec": <Upgrade spec>}',
      });
      return;
    }
    const created = await service.create(
      { namespace: body.namespace ?? DEFAULT_NAMESPACE, name: body.name },
      body.spec,
    );
    options.logger.info(
      { upgrade: keyString(created), enrolmentId: created.id, services: created.spec.services },
      "upgrade created",
    );
    res.status(201).json(toView(created));
  });

  for (const verb of VERBS) {
    app.post(`/v1/upgrades/:name/${verb}`, auth, async (req, res) => {
      const updated = await service[verb](keyOf(req));
      options.logger.info({ upgrade: keyString(updated), verb }, "upgrade command");
      res.json(toView(updated));
    });
  }

  app.use((_req, res) => {
    res.status(404).json({ error: "no such endpoint; see the API reference in README.md" });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const { status, message } = describeError(err);
    if (status >= 500) options.logger.error({ err }, "API request failed");
    res
      .status(status)
      .json({ error: message, ...(err instanceof InvalidSpecError ? { problems: err.problems } : {}) });
  });
  return app;
}

/** The `?namespace=` query parameter, if given once. */
function namespaceOf(req: Request): string | undefined {
  const ns: unknown = req.query["namespace"];
  if (ns === undefined) return undefined;
  if (typeof ns !== "string" || ns === "") {
    throw new UpgradeRequestError("namespace must be given once, as ?namespace=<namespace>", 400);
  }
  return ns;
}

/** The Upgrade a request names: `:name` in `?namespace=` (default `default`). */
function keyOf(req: Request): UpgradeKey {
  const name: unknown = req.params["name"];
  return { namespace: namespaceOf(req) ?? DEFAULT_NAMESPACE, name: typeof name === "string" ? name : "" };
}

function describeError(err: unknown): { status: number; message: string } {
  if (err instanceof InvalidSpecError) return { status: 400, message: err.message };
  if (err instanceof SyntaxError)
    return { status: 400, message: `request body is not valid JSON: ${err.message}` };
  if (err instanceof Error && "status" in err && typeof err.status === "number") {
    // A store that cannot reach its backend (status 0) is unavailable, not a bad request.
    return { status: err.status >= 400 && err.status <= 599 ? err.status : 503, message: err.message };
  }
  return { status: 500, message: "internal error; see the controller's log" };
}
