/**
 * The cluster the controller talks to, from the usual places in the order controllers use
 * them: `--kubeconfig` (`TRANQUIL_KUBECONFIG`), then `KUBECONFIG` (a list, merged), then the
 * pod's service account (in-cluster), then `~/.kube/config`; `--context` picks a context.
 * Nothing found is an error, never a silent fallback to localhost.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { ConfigError } from "./config-problems.js";

/** Where the pod's service account is mounted. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** What {@link loadControllerKubeConfig} may look at (injected by tests). */
export interface KubeConfigSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Default: the user's home directory. */
  readonly home?: string;
  /** Default: {@link SERVICE_ACCOUNT_DIR}. */
  readonly serviceAccountDir?: string;
}

/** A loaded KubeConfig and where it came from (for the start-up log). */
export interface LoadedKubeConfig {
  readonly kc: KubeConfig;
  /** `--kubeconfig /path`, `KUBECONFIG a:b`, `in-cluster service account`, `~/.kube/config`. */
  readonly source: string;
}

const KUBECONFIG_OPTION = "--kubeconfig (TRANQUIL_KUBECONFIG)";

/** Loads the kubeconfig for `kube` (the parsed `--kubeconfig` and `--context`). */
export function loadControllerKubeConfig(
  kube: { readonly kubeconfig?: string; readonly context?: string },
  sources: KubeConfigSources,
): LoadedKubeConfig {
  const kc = new KubeConfig();
  const source = load(kc, kube.kubeconfig, sources);
  if (kube.context !== undefined) {
    if (kc.getContextObject(kube.context) === null) {
      const known = kc.getContexts().map((c) => c.name);
      throw new ConfigError([
        {
          option: "--context (TRANQUIL_CONTEXT)",
          message: `the kubeconfig from ${source} has no context "${kube.context}"; it has ${known.join(", ") || "none"}`,
        },
      ]);
    }
    kc.setCurrentContext(kube.context);
  }
  if (kc.getCurrentCluster() === null) {
    throw new ConfigError([
      {
        option: "--context (TRANQUIL_CONTEXT)",
        message: `the kubeconfig from ${source} names no cluster for its current context "${kc.getCurrentContext()}"; pass --context`,
      },
    ]);
  }
  return { kc, source };
}

function load(kc: KubeConfig, explicit: string | undefined, sources: KubeConfigSources): string {
  if (explicit !== undefined) {
    loadFile(kc, explicit, KUBECONFIG_OPTION);
    return `--kubeconfig ${explicit}`;
  }
  const list = (sources.env["KUBECONFIG"] ?? "").split(delimiter).filter((f) => f !== "");
  if (list.length > 0) {
    list.forEach((file, i) => {
      if (i === 0) return loadFile(kc, file, "KUBECONFIG");
      const more = new KubeConfig();
      loadFile(more, file, "KUBECONFIG");
      kc.mergeConfig(more, true);
    });
    return `KUBECONFIG ${list.join(delimiter)}`;
  }
  const saDir = sources.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const host = sources.env["KUBERNETES_SERVICE_HOST"];
  const port = sources.env["KUBERNETES_SERVICE_PORT"];
  if (host !== undefined && host !== "" && port !== undefined && existsSync(join(saDir, "token"))) {
    loadInCluster(kc, host, port, saDir);
    return "in-cluster service account";
  }
  const home = join(sources.home ?? homedir(), ".kube", "config");
  if (existsSync(home)) {
    loadFile(kc, home, "~/.kube/config");
    return home;
  }
  throw new ConfigError([
    {
      option: KUBECONFIG_OPTION,
      message:
        "no cluster to talk to: pass --kubeconfig, set KUBECONFIG, run in a pod with a service account, or create ~/.kube/config",
    },
  ]);
}

function loadFile(kc: KubeConfig, file: string, option: string): void {
  try {
    kc.loadFromFile(file);
  } catch (err) {
    throw new ConfigError(
      [
        {
          option,
          message: `cannot read the kubeconfig ${file}: ${err instanceof Error ? err.message : String(err)}`,
        },
      ],
      { cause: err },
    );
  }
}

/**
 * The pod's service account, as client-node's loadFromCluster builds it (the token file is
 * re-read, so a rotated projected token is picked up), from injectable sources.
 */
function loadInCluster(kc: KubeConfig, host: string, port: string, saDir: string): void {
  const server = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  kc.loadFromOptions({
    clusters: [{ name: "in-cluster", server, caFile: join(saDir, "ca.crt"), skipTLSVerify: false }],
    users: [
      {
        name: "in-cluster",
        authProvider: { name: "tokenFile", config: { tokenFile: join(saDir, "token") } },
      },
    ],
    contexts: [{ name: "in-cluster", cluster: "in-cluster", user: "in-cluster" }],
    currentContext: "in-cluster",
  });
}
