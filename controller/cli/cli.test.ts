/**
 * `runCli` in-process against the real HTTP API (port 0, FileUpgradeStore): upgrade, status,
 * pause/resume/promote/abort, bad input refused before any request (exit 2), the
 * controller's refusals (exit 2) and an unreachable controller (exit 3).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../test/support/redis-server.js";
import { runCli, type CliDeps } from "./cli.js";
import { ExitCode } from "./exit-codes.js";
import { captureIo, type CaptureOptions } from "./testing/capture-io.js";
import { startApiFixture, writeStatus, type ApiFixture } from "./testing/api-fixture.js";
import { startStandInValidator } from "./testing/stand-in-validator.js";

describe("tranquil CLI", () => {
  let api: ApiFixture;
  let stopValidator: () => void;
  beforeAll(async () => {
    api = await startApiFixture();
    // The controller's Validating step: services named unknown-* do not exist, and upgrades
    // named unvalidated-* are never validated (as with no controller running).
    stopValidator = startStandInValidator(api.store, {
      exists: (service) => !service.startsWith("unknown-"),
      ignores: (name) => name.startsWith("unvalidated-"),
    });
  });
  afterAll(async () => {
    stopValidator();
    await api.close();
  });

  /** Runs the CLI against the fixture, with the server and token from the environment. */
  const run = async (argv: string[], options: CaptureOptions = {}, deps: CliDeps = {}) => {
    const io = captureIo({ env: { TRANQUIL_URL: api.url, TRANQUIL_TOKEN: api.token }, ...options });
    const code = await runCli(argv, io, deps);
    return { code, out: io.out(), err: io.err() };
  };

  describe("upgrade", () => {
    it("creates the upgrade with the spec built from the flags; the name defaults to <service>-<to>", async () => {
      const r = await run([
        "upgrade",
        "auth-service",
        "--from",
        "v1",
        "--to",
        "v2",
        "--image",
        "registry/auth:2",
        "--steps",
        "10, 40,100",
        "--step-interval",
        "20s",
      ]);
      expect(r).toMatchObject({ code: ExitCode.Ok, err: "" });
      expect(r.out).toBe(
        "upgrade auth-service-v2 created: auth-service v1→v2, steps 10,40,100\nvalidated: now Preparing; follow it with `tranquil watch auth-service-v2`\n",
      );
      const stored = await api.store.get({ namespace: "default", name: "auth-service-v2" });
      expect(stored.spec).toEqual({
        services: [{ name: "auth-service", from: "v1", to: "v2", image: "registry/auth:2" }],
        strategy: { steps: [10, 40, 100], stepInterval: "20s" },
      });
    });

    it("takes a version per service for a release train whose services run different versions", async () => {
      const r = await run([
        "upgrade",
        "mix-a",
        "mix-b",
        "--from",
        "mix-a=v1",
        "--from",
        "mix-b=v3",
        "--to",
        "v4",
        "--to",
        "mix-b=v5",
        "--name",
        "mixed-train",
      ]);
      expect(r).toMatchObject({ code: ExitCode.Ok, err: "" });
      const stored = await api.store.get({ namespace: "default", name: "mixed-train" });
      expect(stored.spec.services).toEqual([
        { name: "mix-a", from: "v1", to: "v4" },
        { name: "mix-b", from: "v3", to: "v5" },
      ]);
    });

    it("creates, shows and commands an upgrade in the namespace -n names", async () => {
      const created = await run(["-n", "team-a", "upgrade", "ns-service", "--from", "v1", "--to", "v2"]);
      expect(created).toMatchObject({ code: ExitCode.Ok, err: "" });
      const stored = await api.store.get({ namespace: "team-a", name: "ns-service-v2" });
      expect(stored.namespace).toBe("team-a");
      await expect(api.store.get({ namespace: "default", name: "ns-service-v2" })).rejects.toThrow(
        /not found/,
      );
      expect((await run(["--namespace", "team-a", "status", "ns-service-v2"])).code).toBe(ExitCode.Ok);
      expect((await run(["-n", "team-a", "pause", "ns-service-v2"])).code).toBe(ExitCode.Ok);
      expect((await api.store.get(stored)).spec.paused).toBe(true);
      expect((await run(["status", "ns-service-v2"])).code).toBe(ExitCode.BadInput);
    });

    it("creates a release train with --name and per-service images", async () => {
      const r = await run([
        "upgrade",
        "train-a",
        "train-b",
        "--from",
        "v1",
        "--to",
        "v2",
        "--name",
        "train-release",
        "--image",
        "train-a=reg/a:2",
        "--image",
        "train-b=reg/b:2",
      ]);
      expect(r.code).toBe(ExitCode.Ok);
      expect(r.out).toMatch(
        /^upgrade train-release created: train-a v1→v2, train-b v1→v2, steps 10,50,100\n/,
      );
      expect(
        (await api.store.get({ namespace: "default", name: "train-release" })).spec.services.map(
          (s) => s.image,
        ),
      ).toEqual(["reg/a:2", "reg/b:2"]);
    });

    it("passes --server and --token flags over the environment", async () => {
      const io = captureIo({
        env: { TRANQUIL_URL: "http://127.0.0.1:9", TRANQUIL_TOKEN: "wrong-token-0123456789" },
      });
      const code = await runCli(
        ["--server", api.url, "upgrade", "flag-service", "--from", "v1", "--to", "v2", "--token", api.token],
        io,
      );
      expect(io.err()).toBe("");
      expect(code).toBe(ExitCode.Ok);
    });

    it.each([
      [
        ["--server", "127.0.0.1:7070", "status"],
        /--server "127.0.0.1:7070" is not an http\(s\) URL; write e.g. http:\/\/127.0.0.1:7070/,
      ],
      [
        ["upgrade", "auth-service", "--to", "v2"],
        /--from: name the version service "auth-service" runs today.*--from v1/,
      ],
      [
        ["upgrade", "a-service", "b-service", "--from", "a-service=v1", "--to", "v2"],
        /--from: name the version service "b-service" runs today/,
      ],
      [
        ["upgrade", "a-service", "--from", "v1", "--from", "v3", "--to", "v4"],
        /--from is given 2 times without a service/,
      ],
      [
        ["upgrade", "a-service", "--from", "a-service=v1", "--from", "a-service=v3", "--to", "v4"],
        /--from names service "a-service" twice/,
      ],
      [
        ["upgrade", "a-service", "--from", "z-service=v1", "--to", "v2"],
        /--from "z-service=v1": "z-service" is not one of the services/,
      ],
      [["upgrade", "x-service", "--from", "v1"], /required option '--to <version>' not specified/],
      [["upgrade", "--from", "v1", "--to", "v2"], /missing required argument 'service'/],
      [
        ["upgrade", "x-service", "--from", "v1", "--to", "v2", "--steps", "10;50;100"],
        /--steps "10;50;100" is not a comma list of whole percentages/,
      ],
      [["upgrade", "x-service", "--from", "v1", "--to", "v2", "--steps", "ten,100"], /not a comma list/],
      [
        ["upgrade", "x-service", "--from", "v1", "--to", "v2", "--steps", "50,10,100"],
        /--steps: steps must be strictly increasing; 10 follows 50/,
      ],
      [
        ["upgrade", "x-service", "--from", "v1", "--to", "v2", "--steps", "10,50"],
        /--steps: the last step must be 100/,
      ],
      [["upgrade", "x-service", "--from", "v1", "--to", "v2", "--steps", "0,100"], /--steps: must be >= 1/],
      [["upgrade", "X_Service", "--from", "v1", "--to", "v2"], /service "X_Service": not a DNS-1123 label/],
      [
        ["upgrade", "x-service", "--from", "v1", "--to", "v2", "--name", "My.Upgrade"],
        /--name "My.Upgrade" is not a DNS label/,
      ],
      [
        ["upgrade", `s${"e".repeat(60)}`, "--from", "v1", "--to", "v2"],
        /default name "se+-v2" is too long.*pass a shorter --name/,
      ],
      [["upgrade", "x-service", "--from", "v1", "--to", "v1"], /--to "v1": "to" equals "from"/],
      [
        ["upgrade", "x-service", "--from", "v1", "--to", "v2", "--step-interval", "soon"],
        /--step-interval: not a duration/,
      ],
      [
        ["upgrade", "a-service", "b-service", "--from", "v1", "--to", "v2", "--image", "reg/a:2"],
        /--image "reg\/a:2" names no service/,
      ],
      [
        ["upgrade", "a-service", "--from", "v1", "--to", "v2", "--image", "c-service=reg/c:2"],
        /"c-service" is not one of the services/,
      ],
      [["upgrade", "a-service", "a-service", "--from", "v1", "--to", "v2"], /listed twice/],
      [["upgrade", "x-service", "--from", "v1", "--to", "v2", "--frm", "v1"], /unknown option '--frm'/],
      [["upgrad", "x-service"], /unknown command 'upgrad'[\s\S]*Did you mean upgrade/],
      [[], /Usage: tranquil/],
    ])("refuses %j before any request, exit 2", async (argv, message) => {
      let requests = 0;
      const r = await run(argv, {
        fetch: (input, init) => {
          requests++;
          return fetch(input, init);
        },
      });
      expect(r.code).toBe(ExitCode.BadInput);
      expect(r.err).toMatch(message);
      expect(requests).toBe(0);
    });

    it("prints one problem per line, each saying what to fix", async () => {
      const r = await run(["upgrade", "Bad_Service", "--from", "v1", "--to", "V2", "--steps", "50,10"]);
      expect(r.code).toBe(ExitCode.BadInput);
      const lines = r.err.trimEnd().split("\n");
      expect(lines[0]).toBe("error: the upgrade was not sent; fix these and try again:");
      expect(lines.slice(1).every((l) => l.startsWith("  - "))).toBe(true);
      expect(lines.slice(1)).toEqual([
        expect.stringMatching(/^ {2}- service "Bad_Service": not a DNS-1123 label/),
        expect.stringMatching(/^ {2}- --to "V2": not a DNS-1123 label/),
      ]);
    });

    it.each([
      [
        ["upgrade", "a-service", "b-service", "--from", "V1", "--to", "v2"],
        ['--from "V1": not a DNS-1123 label'],
      ],
      [
        ["upgrade", "a-service", "b-service", "--from", "v1", "--to", "v1"],
        ['--to "v1": "to" equals "from" (v1)'],
      ],
      [
        ["upgrade", "a-service", "b-service", "--from", "x1", "--from", "x2", "--to", "v3"],
        ["--from is given 2 times without a service"],
      ],
    ])("prints each problem of %j once", async (argv, problems) => {
      const r = await run(argv);
      expect(r.code).toBe(ExitCode.BadInput);
      const lines = r.err.trimEnd().split("\n").slice(1);
      expect(lines).toHaveLength(problems.length);
      problems.forEach((p, i) => expect(lines[i]).toContain(p));
    });

    it("takes the issue's per-service form and a shared --from for the services it does not name", async () => {
      const r = await run([
        "upgrade",
        "pair-a",
        "pair-b",
        "pair-c",
        "--from",
        "pair-a=v2",
        "--from",
        "pair-b=v1",
        "--from",
        "v7",
        "--to",
        "v8",
        "--name",
        "pair-train",
      ]);
      expect(r).toMatchObject({ code: ExitCode.Ok, err: "" });
      expect(r.out).toMatch(/^upgrade pair-train created: pair-a v2→v8, pair-b v1→v8, pair-c v7→v8, steps/);
    });

    it("prints the controller's refusal of an overlapping upgrade, exit 2", async () => {
      expect((await run(["upgrade", "busy-service", "--from", "v1", "--to", "v2"])).code).toBe(ExitCode.Ok);
      const r = await run(["upgrade", "busy-service", "--from", "v1", "--to", "v3"]);
      expect(r.code).toBe(ExitCode.BadInput);
      expect(r.err).toBe(
        "error: upgrade busy-service-v2 is still Preparing on busy-service in namespace default; wait for it to finish or abort it first\n",
      );
    });

    it("waits for validation and exits 2 with the controller's reason when it refuses the upgrade", async () => {
      const r = await run(["upgrade", "unknown-service", "--from", "v1", "--to", "v2"]);
      expect(r.code).toBe(ExitCode.BadInput);
      expect(r.out).toBe("upgrade unknown-service-v2 created: unknown-service v1→v2, steps 10,50,100\n");
      expect(r.err).toBe(
        'error: the controller refused upgrade unknown-service-v2 while validating it: service "unknown-service" not found; check the name and namespace\n' +
          "  - it stays as unknown-service-v2 (Failed); fix the command and run it again with another --name, or see `tranquil status unknown-service-v2`\n",
      );
    });

    it("exits 3 when the controller does not validate the upgrade in time", async () => {
      const r = await run(
        ["upgrade", "late-service", "--from", "v1", "--to", "v2", "--name", "unvalidated-late"],
        {},
        { validationTimeoutMs: 300 },
      );
      expect(r.code).toBe(ExitCode.Unavailable);
      expect(r.err).toMatch(
        /^error: upgrade unvalidated-late is still Validating after 300ms: is the controller running\? The upgrade exists and starts once the controller validates it; follow it with `tranquil watch unvalidated-late`\n$/,
      );
    });

    it("returns once created with --no-wait", async () => {
      const r = await run([
        "upgrade",
        "quick-service",
        "--from",
        "v1",
        "--to",
        "v2",
        "--name",
        "unvalidated-quick",
        "--no-wait",
      ]);
      expect(r).toMatchObject({ code: ExitCode.Ok, err: "" });
      expect(r.out).toBe(
        "upgrade unvalidated-quick created: quick-service v1→v2, steps 10,50,100\nfollow it with `tranquil watch unvalidated-quick`\n",
      );
    });

    it("`upgrade --watch` exits 2 when the controller refuses the upgrade while validating it", async () => {
      const r = await run(["upgrade", "unknown-watched", "--from", "v1", "--to", "v2", "--watch"]);
      expect(r.code).toBe(ExitCode.BadInput);
      expect(r.out).toMatch(
        /upgrade unknown-watched-v2 Failed after \S+: service "unknown-watched" not found/,
      );
    });

    it("says that a taken name belongs to an ended upgrade, and how to go on", async () => {
      expect((await run(["upgrade", "again-service", "--from", "v1", "--to", "v2"])).code).toBe(ExitCode.Ok);
      await writeStatus(api.store, "again-service-v2", { phase: "Succeeded", stage: "done" });
      const r = await run(["upgrade", "again-service", "--from", "v1", "--to", "v2"]);
      expect(r.code).toBe(ExitCode.BadInput);
      expect(r.err).toBe(
        "error: upgrade again-service-v2 already exists and has ended (Succeeded); an ended upgrade keeps its name, so choose another --name, e.g. --name again-service-v2-2\n" +
          "  - or delete the ended one first: on a cluster, `kubectl delete upgrade again-service-v2 -n default` (the controller's API does not delete upgrades)\n",
      );
      const renamed = await run([
        "upgrade",
        "again-service",
        "--from",
        "v1",
        "--to",
        "v2",
        "--name",
        "again-service-v2-2",
      ]);
      expect(renamed.code).toBe(ExitCode.Ok);
    });

    it("says that a taken name belongs to an active upgrade of other services", async () => {
      expect(
        (await run(["upgrade", "holder-service", "--from", "v1", "--to", "v2", "--name", "taken"])).code,
      ).toBe(ExitCode.Ok);
      const r = await run(["upgrade", "other-service", "--from", "v1", "--to", "v2", "--name", "taken"]);
      expect(r.code).toBe(ExitCode.BadInput);
      expect(r.err).toBe(
        "error: upgrade taken already exists and is still Preparing (holder-service v1→v2); choose another --name, e.g. --name taken-2, or follow it with `tranquil watch taken`\n",
      );
    });

    it("says what to do about a missing or wrong token, exit 2", async () => {
      const none = captureIo({ env: { TRANQUIL_URL: api.url } });
      expect(await runCli(["upgrade", "tokenless", "--from", "v1", "--to", "v2"], none)).toBe(
        ExitCode.BadInput,
      );
      expect(none.err()).toMatch(
        /missing or wrong bearer token: pass --token or set TRANQUIL_TOKEN \(no token given\)/,
      );
      const wrong = await run(["--token", "wrong-token-0123456789", "pause", "busy-service-v2"]);
      expect(wrong.code).toBe(ExitCode.BadInput);
      expect(wrong.err).toMatch(/missing or wrong bearer token/);
    });
  });

  describe("status", () => {
    it("shows a table of upgrades", async () => {
      await run(["upgrade", "table-service", "--from", "v1", "--to", "v2"]);
      await writeStatus(api.store, "table-service-v2", {
        phase: "Shifting",
        stage: "analyse",
        weight: 50,
        step: 1,
        confirmed: { ready: 2, total: 3 },
        activeOld: 7,
      });
      const r = await run(["status"]);
      expect(r.code).toBe(ExitCode.Ok);
      const lines = r.out.trimEnd().split("\n");
      expect(lines[0]).toMatch(/^NAME\s+PHASE\s+WEIGHT\s+STEP\s+CONFIRMED\s+OLD ACTIVE\s+AGE\s+SERVICES$/);
      expect(lines.find((l) => l.startsWith("table-service-v2"))).toMatch(
        /^table-service-v2\s+Shifting\s+50%\s+2\/3\s+2\/3\s+7\s+\S+\s+table-service v1→v2$/,
      );
      expect(lines.find((l) => l.startsWith("auth-service-v2"))).toMatch(/Preparing\s+0%\s+-\s+0\/0/);
    });

    it("shows one upgrade's details with its conditions and recent history", async () => {
      await writeStatus(api.store, "table-service-v2", {
        conditions: [
          {
            type: "Waiting",
            status: "True",
            reason: "Unconfirmed",
            message: "1 of 3 proxies has not confirmed epoch 4",
            lastTransitionTime: 0,
          },
        ],
        dirtyPods: ["gateway-0"],
      });
      const r = await run(["status", "table-service-v2"]);
      expect(r.code).toBe(ExitCode.Ok);
      expect(r.out).toContain("name:        table-service-v2\n");
      expect(r.out).toContain("phase:       Shifting (analyse)\n");
      expect(r.out).toContain("weight:      50%  step 2/3 of [10,50,100]\n");
      expect(r.out).toContain("dirty pods:  gateway-0\n");
      expect(r.out).toContain("waiting:     Unconfirmed: 1 of 3 proxies has not confirmed epoch 4\n");
      expect(r.out).toContain("  Waiting=True Unconfirmed: 1 of 3 proxies has not confirmed epoch 4\n");
      expect(r.out).toMatch(
        /recent history \(UTC\):\n {2}\d\d:\d\d:\d\d {2}Validating\/validate {2}upgrade created\n/,
      );
    });

    it("prints the API's JSON with --json", async () => {
      const r = await run(["status", "table-service-v2", "--json"]);
      expect(JSON.parse(r.out)).toMatchObject({
        name: "table-service-v2",
        status: { phase: "Shifting", weight: 50 },
      });
    });

    it("says how to list upgrades when the name is unknown, exit 2", async () => {
      const r = await run(["status", "nope"]);
      expect(r.code).toBe(ExitCode.BadInput);
      expect(r.err).toBe("error: Upgrade default/nope not found; list upgrades with `tranquil status`\n");
    });
  });

  describe("pause, resume, promote, abort", () => {
    it("sends each command and says what it asked for", async () => {
      await run(["upgrade", "verbs-service", "--from", "v1", "--to", "v2"]);
      const pause = await run(["pause", "verbs-service-v2"]);
      expect(pause).toMatchObject({ code: ExitCode.Ok, err: "" });
      expect(pause.out).toMatch(/^upgrade verbs-service-v2 paused: it holds in its current phase/);
      expect((await api.store.get({ namespace: "default", name: "verbs-service-v2" })).spec.paused).toBe(
        true,
      );
      expect((await run(["status"])).out).toMatch(/verbs-service-v2\s+Preparing \(paused\)/);

      expect((await run(["resume", "verbs-service-v2"])).out).toMatch(/resumed/);
      expect((await api.store.get({ namespace: "default", name: "verbs-service-v2" })).spec.paused).toBe(
        false,
      );

      expect((await run(["promote", "verbs-service-v2"])).out).toMatch(/promote requested/);
      expect((await run(["abort", "verbs-service-v2"])).out).toMatch(/abort requested.*tranquil watch/);
      expect(
        (await api.store.get({ namespace: "default", name: "verbs-service-v2" })).commands.map((c) => c.kind),
      ).toEqual(["promote", "abort"]);
    });

    it("refuses abort once the upgrade Succeeded, exit 2", async () => {
      await run(["upgrade", "over-service", "--from", "v1", "--to", "v2"]);
      await writeStatus(api.store, "over-service-v2", { phase: "Succeeded", stage: "done" });
      const r = await run(["abort", "over-service-v2"]);
      expect(r.code).toBe(ExitCode.BadInput);
      expect(r.err).toMatch(
        /^error: abort refused: upgrade default\/over-service-v2 has ended \(Succeeded\)/,
      );
    });
  });

  describe("an unreachable controller", () => {
    it.each([
      [["status"]],
      [["upgrade", "x-service", "--from", "v1", "--to", "v2"]],
      [["watch", "x"]],
      [["abort", "x"]],
    ])("%j exits 3 and says how to start or point at the controller", async (argv) => {
      const url = `http://127.0.0.1:${await freePort()}`;
      const io = captureIo({ env: { TRANQUIL_URL: url, TRANQUIL_TOKEN: api.token } });
      expect(await runCli(argv, io)).toBe(ExitCode.Unavailable);
      expect(io.err()).toContain(
        `error: cannot reach the controller at ${url} (ECONNREFUSED): start it with \`npm start\`, or pass --server <url> or set TRANQUIL_URL\n`,
      );
    });

    it("exits 3 when something else answers with a server error", async () => {
      const r = await run(["status"], {
        fetch: () =>
          Promise.resolve(
            new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }),
          ),
      });
      expect(r.code).toBe(ExitCode.Unavailable);
      expect(r.err).toMatch(/failed on GET \/v1\/upgrades: HTTP 502 Bad Gateway; see the controller's log/);
    });
  });

  it("prints help with exit 0", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(ExitCode.Ok);
    expect(r.out).toMatch(/upgrade \[options\] <service\.\.\.>/);
  });
});
