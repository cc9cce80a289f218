import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadControllerKubeConfig, type KubeConfigSources } from "./kube-config.js";
import { ConfigError } from "./config-problems.js";

/** A kubeconfig with one context per entry, the first current. */
function kubeconfig(...contexts: { name: string; server: string }[]): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: contexts.map((c) => ({ name: c.name, cluster: { server: c.server } })),
    users: contexts.map((c) => ({ name: c.name, user: { token: `token-${c.name}` } })),
    contexts: contexts.map((c) => ({ name: c.name, context: { cluster: c.name, user: c.name } })),
    "current-context": contexts[0]?.name,
  });
}

describe("the controller's kubeconfig", () => {
  let dir: string;
  let home: string;
  let emptyHome: string;
  let saDir: string;
  let noSaDir: string;
  let fileA: string;
  let fileB: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tranquil-kubeconfig-"));
    home = join(dir, "home");
    emptyHome = join(dir, "empty-home");
    saDir = join(dir, "sa");
    noSaDir = join(dir, "no-sa");
    await mkdir(join(home, ".kube"), { recursive: true });
    await mkdir(emptyHome);
    await mkdir(saDir);
    await writeFile(join(home, ".kube", "config"), kubeconfig({ name: "home", server: "https://home:6443" }));
    await writeFile(join(saDir, "token"), "pod-token");
    await writeFile(join(saDir, "ca.crt"), "-----BEGIN CERTIFICATE-----\n");
    fileA = join(dir, "a.yaml");
    fileB = join(dir, "b.yaml");
    await writeFile(fileA, kubeconfig({ name: "dev", server: "https://dev:6443" }));
    await writeFile(
      fileB,
      kubeconfig(
        { name: "staging", server: "https://staging:6443" },
        { name: "prod", server: "https://prod:6443" },
      ),
    );
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const pod = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" };
  const sources = (env: KubeConfigSources["env"], h = home, sa = saDir): KubeConfigSources => ({
    env,
    home: h,
    serviceAccountDir: sa,
  });
  const server = (kube: Parameters<typeof loadControllerKubeConfig>[0], s: KubeConfigSources) => {
    const { kc, source } = loadControllerKubeConfig(kube, s);
    return { server: kc.getCurrentCluster()?.server, context: kc.getCurrentContext(), source };
  };

  it("prefers --kubeconfig, then KUBECONFIG, then the pod's service account, then ~/.kube/config", () => {
    expect(server({ kubeconfig: fileA }, sources({ KUBECONFIG: fileB, ...pod }))).toEqual({
      server: "https://dev:6443",
      context: "dev",
      source: `--kubeconfig ${fileA}`,
    });
    expect(server({}, sources({ KUBECONFIG: fileB, ...pod })).server).toBe("https://staging:6443");
    expect(server({}, sources(pod))).toEqual({
      server: "https://10.96.0.1:443",
      context: "in-cluster",
      source: "in-cluster service account",
    });
    expect(server({}, sources({}))).toEqual({
      server: "https://home:6443",
      context: "home",
      source: join(home, ".kube", "config"),
    });
    // Without the mounted token, the pod's variables alone are not a service account.
    expect(server({}, sources(pod, home, noSaDir)).server).toBe("https://home:6443");
  });

  it("authenticates in the cluster with the mounted token file and trusts the mounted CA", () => {
    const { kc } = loadControllerKubeConfig({}, sources({ ...pod, KUBERNETES_SERVICE_HOST: "fd00::1" }));
    expect(kc.getCurrentCluster()).toMatchObject({
      server: "https://[fd00::1]:443",
      caFile: join(saDir, "ca.crt"),
    });
    expect(kc.getCurrentUser()?.authProvider).toEqual({
      name: "tokenFile",
      config: { tokenFile: join(saDir, "token") },
    });
  });

  it("merges a KUBECONFIG list and picks --context from any of its files", () => {
    const list = `${fileA}${delimiter}${fileB}`;
    expect(server({ context: "prod" }, sources({ KUBECONFIG: list }))).toEqual({
      server: "https://prod:6443",
      context: "prod",
      source: `KUBECONFIG ${list}`,
    });
    expect(server({}, sources({ KUBECONFIG: list })).context).toBe("dev");
  });

  it("names the flag, the file and the contexts it has when something is wrong", () => {
    expect(() => loadControllerKubeConfig({ context: "qa" }, sources({ KUBECONFIG: fileB }))).toThrow(
      `--context (TRANQUIL_CONTEXT): the kubeconfig from KUBECONFIG ${fileB} has no context "qa"; it has staging, prod`,
    );
    expect(() => loadControllerKubeConfig({ kubeconfig: join(dir, "absent") }, sources({}))).toThrow(
      /--kubeconfig \(TRANQUIL_KUBECONFIG\): cannot read the kubeconfig .*absent: ENOENT/,
    );
    let err: unknown;
    try {
      loadControllerKubeConfig({}, sources({}, emptyHome, noSaDir));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      {
        option: "--kubeconfig (TRANQUIL_KUBECONFIG)",
        message:
          "no cluster to talk to: pass --kubeconfig, set KUBECONFIG, run in a pod with a service account, or create ~/.kube/config",
      },
    ]);
  });
});
