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
 *   GET  /v1/upgrades/:name/recent-events[?namespace=] the Events recorded about it (ADR 0091)
 *   POST /v1/upgrades        {name, namespace?, spec}  create (token)
 *   POST /v1/upgrades/:name/{pause,resume,promote,abort}[?namespace=]   (token)
 *   GET  /dashboard/                                   the dashboard page (ADR 0091); / redirects there
 *
 * Limits (ADR 0088): /v1 answers only to the names in `allowedHosts`; status streams are
 * capped, give a slow client only the newest state, send heartbeats and close when idle; names
 * are checked at the entry and every echoed input is bounded.
 */
import express, { type NextFunction, type Request, type Response } from "express";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { keyString, type UpgradeStore } from "../ports/upgrade-store.js";
import { requireBearer } from "./auth.js";
import { defaultDashboardDir } from "./dashboard/assets.js";
import { recentEventsHandler, type RecentEvents } from "./dashboard/recent-events.js";
import { dashboardRouter } from "./dashboard/route.js";
import { errorAnswer } from "./error-body.js";
import {
  DEFAULT_STATUS_STREAM_SETTINGS,
  statusEventsHandler,
  type StatusStreamSettings,
} from "./events-route.js";
import { jsonObjectBody } from "./json-body.js";
import { DEFAULT_ALLOWED_HOSTS, requireAllowedHost } from "./host-check.js";
import { keyOf, namespaceOf } from "./request-key.js";
import { StreamSlots } from "./stream-slots.js";
import { DEFAULT_NAMESPACE, UpgradeRequestError, UpgradesService } from "./upgrades-service.js";
import { toView } from "./view.js";

/** Options of {@link createApi}. */
export interface ApiOptions {
  readonly store: UpgradeStore;
  readonly token: string;
  readonly logger: Logger;
  readonly clock?: () => number;
  /** How often SSE streams send a keep-alive comment (default 15 s). */
  readonly keepAliveMs?: number;
  /** The status streams' cap, `Retry-After` and idle timeout (ADR 0088); defaults in {@link DEFAULT_STATUS_STREAM_SETTINGS}. */
  readonly streams?: Partial<Omit<StatusStreamSettings, "heartbeatMs">>;
  /**
   * The names the API answers to under /v1 (the Host header, any port); others get 421
   * (ADR 0088). Default {@link DEFAULT_ALLOWED_HOSTS}: localhost, 127.0.0.1 and [::1].
   */
  readonly allowedHosts?: readonly string[];
  /** The controller's metrics, served at GET /metrics (Prometheus text format). */
  readonly metrics?: Registry;
  /** What keeps the controller from being ready (GET /readyz); none = ready. */
  readonly notReady?: () => readonly string[];
  /** The built dashboard served at /dashboard/ (default: the project's dist/dashboard, ADR 0091). */
  readonly dashboardDir?: string;
  /** The Events recorded about an Upgrade, for GET …/recent-events; none = the controller keeps none. */
  readonly recentEvents?: RecentEvents;
}

/** What POST /v1/upgrades takes, as its messages name it. */
const UPGRADE_OBJECT =
  'an upgrade object {"name": <upgrade name>, "namespace": <optional namespace>, "spec": <Upgrade spec>}';

type Verb = "pause" | "resume" | "promote" | "abort";
const VERBS: readonly Verb[] = ["pause", "resume", "promote", "abort"];

/** Builds the express app. */
export function createApi(options: ApiOptions): express.Express {
  const service = new UpgradesService({
    store: options.store,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const auth = requireBearer(options.token);
  const streamSettings: StatusStreamSettings = {
    ...DEFAULT_STATUS_STREAM_SETTINGS,
    ...options.streams,
    ...(options.keepAliveMs !== undefined ? { heartbeatMs: options.keepAliveMs } : {}),
  };
  const slots = new StreamSlots(streamSettings.maxStreams);
  const app = express();
  app.disable("x-powered-by");
  // Not strict: `null` or `[]` is valid JSON and gets a message saying so (jsonObjectBody).
  app.use(express.json({ limit: "256kb", strict: false }));

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

  // Probes and scrapers reach the routes above by the pod's address; what they show is not
  // the upgrades' status, so only /v1 is held to the names the API is known by.
  const hostCheck = requireAllowedHost(options.allowedHosts ?? DEFAULT_ALLOWED_HOSTS);
  app.use("/v1", hostCheck);
  // The dashboard shows what /v1 shows, so it answers to the same names (ADR 0091).
  app.use("/dashboard", hostCheck, dashboardRouter(options.dashboardDir ?? defaultDashboardDir()));
  app.get("/", hostCheck, (_req, res) => {
    res.redirect(302, "/dashboard/");
  });

  app.get("/v1/upgrades", async (req, res) => {
    const namespace = namespaceOf(req);
    res.json({ upgrades: (await service.list(namespace)).map(toView) });
  });

  app.get("/v1/upgrades/:name", async (req, res) => {
    res.json(toView(await service.get(keyOf(req))));
  });

  app.get(
    "/v1/upgrades/:name/events",
    statusEventsHandler({ store: options.store, service, settings: streamSettings, slots }),
  );

  app.get("/v1/upgrades/:name/recent-events", recentEventsHandler(service, options.recentEvents));

  app.post("/v1/upgrades", auth, async (req, res) => {
    const body = jsonObjectBody(req, UPGRADE_OBJECT);
    const { name, namespace, spec } = body;
    if (typeof name !== "string") {
      throw new UpgradeRequestError(
        `the body must be ${UPGRADE_OBJECT}; its "name" is ${name === undefined ? "missing" : "not a string"}`,
        400,
      );
    }
    if (namespace !== undefined && typeof namespace !== "string") {
      throw new UpgradeRequestError(
        `the body must be ${UPGRADE_OBJECT}; its "namespace" is not a string`,
        400,
      );
    }
    const created = await service.create({ namespace: namespace ?? DEFAULT_NAMESPACE, name }, spec);
    options.logger.info(
      { upgrade: keyString(created), enrolmentId: created.id, services: created.spec.services },
      "upgrade created",
    );
    res.status(201).json(toView(created));
  });

  for (const verb of VERBS) {
    app.post(`/v1/upgrades/:name/${verb}`, auth, async (req, res) => {
      jsonObjectBody(req, "no body or {}", true);
      const updated = await service[verb](keyOf(req));
      options.logger.info({ upgrade: keyString(updated), verb }, "upgrade command");
      res.json(toView(updated));
    });
  }

  app.use((_req, res) => {
    res.status(404).json({ error: "no such endpoint; see the API reference in README.md" });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const { status, body } = errorAnswer(err);
    if (status >= 500) options.logger.error({ err }, "API request failed");
    res.status(status).json(body);
  });
  return app;
}
