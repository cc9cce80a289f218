/**
 * GET /dashboard/: the dashboard page and its two assets, from the built directory
 * (assets.ts). Behind the API's Host check like /v1 (ADR 0088); the page reads /v1 without
 * a token and sends the token only with the verbs, in the Authorization header (ADR 0091).
 * The files are read per request, so a rebuild shows on reload; a missing build is answered
 * 503 with the command that builds it.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import express, { type Response } from "express";
import { BUILD_COMMAND, DASHBOARD_FILES, type DashboardFile } from "./assets.js";

const TYPES: Readonly<Record<DashboardFile, string>> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
};

/**
 * What every dashboard answer carries: nothing but its own scripts and styles run, nothing is
 * fetched elsewhere, and no other site may frame the page (its buttons change upgrades).
 */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/** The router to mount at /dashboard, serving the build in `dir`. */
export function dashboardRouter(dir: string): express.Router {
  const router = express.Router({ strict: true });
  const send = async (res: Response, file: DashboardFile): Promise<void> => {
    res.set(DASHBOARD_HEADERS);
    let body: Buffer;
    try {
      body = await readFile(join(dir, file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      res
        .status(503)
        .type("text/plain")
        .send(
          `The dashboard is not built: ${join(dir, file)} is missing. Run \`${BUILD_COMMAND}\` (npm start and npm test build it), then reload.\n`,
        );
      return;
    }
    res.type(TYPES[file]).send(body);
  };
  router.get("/", (req, res) => {
    // Relative asset URLs need the trailing slash.
    if (!req.originalUrl.split("?")[0]?.endsWith("/")) {
      res.redirect(301, `${req.baseUrl}/`);
      return;
    }
    return send(res, "index.html");
  });
  for (const file of DASHBOARD_FILES.slice(1)) router.get(`/${file}`, (_req, res) => send(res, file));
  return router;
}
