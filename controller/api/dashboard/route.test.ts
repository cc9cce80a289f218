/**
 * GET /dashboard/ on the real API (ADR 0091): the page and its assets from a real build, with
 * headers that let nothing else run or frame it; the API's Host check; a missing build
 * answered 503 with the command that builds it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDashboard } from "../../dashboard-ui/build.js";
import { startApiServer, type ApiServer } from "../testing/api-server.js";
import { rawRequest } from "../testing/raw-request.js";
import { defaultDashboardDir } from "./assets.js";

describe("the dashboard route", () => {
  let dir: string;
  let built: ApiServer;
  let unbuilt: ApiServer;
  let scriptBytes: number;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tranquil-dashboard-"));
    scriptBytes = await buildDashboard(join(dir, "built"));
    built = await startApiServer({ dashboardDir: join(dir, "built") });
    unbuilt = await startApiServer({ dashboardDir: join(dir, "never-built") });
  }, 60_000);
  afterAll(async () => {
    await built.close();
    await unbuilt.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves the page, its script and its stylesheet, each with its type and a policy that allows nothing else", async () => {
    const page = await fetch(`${built.url}/dashboard/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await page.text();
    expect(html).toContain("<title>Tranquil upgrades</title>");
    expect(html).toContain('<script src="app.js"></script>');
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    const script = await fetch(`${built.url}/dashboard/app.js`);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect((await script.text()).length).toBe(scriptBytes);
    const style = await fetch(`${built.url}/dashboard/app.css`);
    expect(style.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(await style.text()).toContain("prefers-color-scheme:dark");
  });

  it("the script is small and fetches nothing from elsewhere (no URL of another origin in it)", async () => {
    expect(scriptBytes).toBeLessThan(48 * 1024);
    const script = await (await fetch(`${built.url}/dashboard/app.js`)).text();
    // The SVG namespace is a name, not a fetch.
    expect(script.replaceAll("http://www.w3.org/2000/svg", "")).not.toMatch(/https?:\/\//);
  });

  it("redirects /dashboard and / to /dashboard/", async () => {
    const bare = await fetch(`${built.url}/dashboard`, { redirect: "manual" });
    expect(bare.status).toBe(301);
    expect(bare.headers.get("location")).toBe("/dashboard/");
    const root = await fetch(`${built.url}/`, { redirect: "manual" });
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("/dashboard/");
  });

  it("answers only to the API's names, as /v1 does (ADR 0088)", async () => {
    for (const path of ["/dashboard/", "/dashboard/app.js", "/"]) {
      const res = await rawRequest(built.port, { path, headers: { host: "evil.example" } });
      expect(res.status, path).toBe(421);
      expect(res.body).toContain("this API answers only to localhost, 127.0.0.1, [::1] (any port)");
    }
  });

  it("without a build, answers 503 naming the missing file and the command that builds it", async () => {
    const res = await fetch(`${unbuilt.url}/dashboard/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe(
      `The dashboard is not built: ${join(dir, "never-built", "index.html")} is missing. Run \`npm run build:dashboard\` (npm start and npm test build it), then reload.\n`,
    );
  });
});

describe("defaultDashboardDir", () => {
  it("is the project's dist/dashboard, from the source and from inside a built dist folder", () => {
    const root = join(import.meta.dirname, "..", "..", "..");
    expect(defaultDashboardDir(join(root, "controller", "api", "dashboard", "assets.ts"))).toBe(
      join(root, "dist", "dashboard"),
    );
    expect(defaultDashboardDir(join(root, "dist", "cli", "chunks", "x.js"))).toBe(
      join(root, "dist", "dashboard"),
    );
  });
});
