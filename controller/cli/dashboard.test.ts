/**
 * `tranquil dashboard` in-process against the real API: it checks that the controller serves
 * the page, prints its URL (an upgrade's fragment with a name, never the token) and opens it
 * with --open; a controller without the build, an unreachable one and --context are refused
 * with what to do.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiServer, type ApiServer } from "../api/testing/api-server.js";
import { buildDashboard } from "../dashboard-ui/build.js";
import { freePort } from "../../test/support/redis-server.js";
import { runCli } from "./cli.js";
import { dashboardUrl } from "./dashboard.js";
import { ExitCode } from "./exit-codes.js";
import { captureIo } from "./testing/capture-io.js";

describe("tranquil dashboard", () => {
  let dir: string;
  let api: ApiServer;
  let unbuilt: ApiServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tranquil-cli-dashboard-"));
    await buildDashboard(join(dir, "built"));
    api = await startApiServer({ dashboardDir: join(dir, "built") });
    unbuilt = await startApiServer({ dashboardDir: join(dir, "missing") });
  }, 60_000);
  afterAll(async () => {
    await api.close();
    await unbuilt.close();
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (argv: string[], server: string, opened: string[] = []) => {
    const io = captureIo({ env: { TRANQUIL_URL: server, TRANQUIL_TOKEN: api.token } });
    const code = await runCli(argv, io, {
      openUrl: (url) => {
        opened.push(url);
        return Promise.resolve();
      },
    });
    return { code, out: io.out(), err: io.err() };
  };

  it("prints the URL the controller serves the page at, without the token", async () => {
    const r = await run(["dashboard"], api.url);
    expect(r).toEqual({
      code: ExitCode.Ok,
      out: `dashboard: ${api.url}/dashboard/\nits buttons ask for the API token (TRANQUIL_TOKEN) once; it stays in that browser tab\n`,
      err: "",
    });
    expect(r.out).not.toContain(api.token);
  });

  it("with a name: the URL opens that upgrade (in -n's namespace); --open opens it", async () => {
    const opened: string[] = [];
    const r = await run(["-n", "shop", "dashboard", "auth-v2", "--open"], api.url, opened);
    expect(r.code).toBe(ExitCode.Ok);
    expect(r.out).toContain(`dashboard: ${api.url}/dashboard/#/shop/auth-v2\n`);
    expect(opened).toEqual([`${api.url}/dashboard/#/shop/auth-v2`]);
  });

  it("a controller without the built page: exit 3 with the controller's words", async () => {
    const r = await run(["dashboard"], unbuilt.url);
    expect(r.code).toBe(ExitCode.Unavailable);
    expect(r.err).toContain(
      `error: the controller at ${unbuilt.url}/dashboard/ does not serve the dashboard (503): The dashboard is not built:`,
    );
    expect(r.err).toContain("Run `npm run build:dashboard`");
  });

  it("an unreachable controller: exit 3, saying to check it runs", async () => {
    const port = await freePort();
    const r = await run(["dashboard"], `http://127.0.0.1:${port}`);
    expect(r.code).toBe(ExitCode.Unavailable);
    expect(r.err).toContain(`error: cannot reach the controller at http://127.0.0.1:${port}/dashboard/`);
    expect(r.err).toContain("is it running? Set --server or TRANQUIL_URL");
  });

  it("--context: exit 2, saying to forward the controller's port", async () => {
    const r = await run(["--context", "kind-x", "dashboard"], api.url);
    expect(r.code).toBe(ExitCode.BadInput);
    expect(r.err).toContain("the dashboard is served by the controller's API, not by the cluster");
  });

  it("dashboardUrl trims slashes and encodes the fragment", () => {
    expect(dashboardUrl("http://h:1//")).toBe("http://h:1/dashboard/");
    expect(dashboardUrl("http://h:1", "a b", undefined)).toBe("http://h:1/dashboard/#/default/a%20b");
  });
});
