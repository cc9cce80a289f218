/**
 * Where the dashboard's built assets are (ADR 0091): `dist/dashboard/` of the project, built
 * by .ci/setup (or `npm run build:dashboard`) from controller/dashboard-ui. Found from this
 * module whether it runs from its source (controller/api/dashboard/) or bundled into the
 * built CLI (dist/cli/…), so the local controller and the cluster one serve the same files.
 */
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The files of a built dashboard; the page is the first. */
export const DASHBOARD_FILES = ["index.html", "app.js", "app.css"] as const;

/** One of {@link DASHBOARD_FILES}. */
export type DashboardFile = (typeof DASHBOARD_FILES)[number];

/** The command that builds the dashboard, as error messages name it. */
export const BUILD_COMMAND = "npm run build:dashboard";

/**
 * The built dashboard's directory: the first `dist/dashboard` holding an index.html above
 * `from` (inside a `dist` folder, its `dashboard`), up to the project's root; else the
 * root's `dist/dashboard`, where the build goes (the route then says it is not built).
 */
export function defaultDashboardDir(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const candidates = basename(dir) === "dist" ? [join(dir, "dashboard")] : [join(dir, "dist", "dashboard")];
    for (const candidate of candidates) {
      if (existsSync(join(candidate, "index.html"))) return candidate;
    }
    // The project's root: its dist/dashboard is where the build goes.
    if (existsSync(join(dir, "package.json"))) return join(dir, "dist", "dashboard");
    if (dirname(dir) === dir) return join(dirname(from), "dashboard");
  }
}
