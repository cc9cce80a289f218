/**
 * The plain manifests, rendered from the Helm chart (manifests/helm/tranquil) by the real Helm,
 * and the copies the chart carries of files kept elsewhere (Helm reads only its own folder):
 *
 * - manifests/install.yaml: the whole chart, CRD included, for `kubectl apply`;
 * - manifests/rbac/tranquil-controller.yaml: the controller's RBAC (the backend's start-up
 *   check and its tests read it);
 * - manifests/injection/tranquil-injector.yaml: the injection webhook;
 * - the chart's crds/ and files/: the CRD generated from the spec schema and the Grafana
 *   dashboard.
 *
 * `npm run render:manifests` writes them; test/manifests/helm-chart.test.ts fails when one is
 * out of date.
 */
import { readFile, writeFile } from "node:fs/promises";
import { loadAllYaml, type KubernetesObject } from "@kubernetes/client-node";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { helm } from "../support/helm/helm.js";

/** The repository root. */
export const REPO = join(import.meta.dirname, "..", "..");
/** The chart's folder. */
export const CHART = join(REPO, "manifests", "helm", "tranquil");
/** The namespace the plain manifests install into. */
export const INSTALL_NAMESPACE = "tranquil-system";

/** Values for the plain manifests: the Namespace included; the API token's Secret made by the user. */
export const PLAIN_VALUES = [
  "--set",
  "createNamespace=true",
  "--set",
  "apiToken.existingSecret=tranquil-api-token",
];

const header = (what: string): string =>
  `# ${what}\n# Rendered from the Helm chart manifests/helm/tranquil by \`npm run render:manifests\`; edit the chart, not this file.\n`;

/** The objects of a YAML stream, empty documents left out. */
export function objectsOf(yaml: string): KubernetesObject[] {
  return (loadAllYaml(yaml) as (KubernetesObject | null)[]).filter((o): o is KubernetesObject => o !== null);
}

/** `helm template tranquil <chart> -n tranquil-system <args>`. */
export function renderChart(args: readonly string[] = []): Promise<string> {
  return helm(["template", "tranquil", CHART, "--namespace", INSTALL_NAMESPACE, ...args]);
}

/** The chart's copies of files kept elsewhere (Helm reads only its own folder). */
export async function chartCopies(): Promise<Map<string, string>> {
  const copy = async (from: string): Promise<string> => readFile(join(REPO, from), "utf8");
  return new Map([
    [
      "manifests/helm/tranquil/crds/upgrades.tranquil.dev.yaml",
      await copy("manifests/crd/upgrades.tranquil.dev.yaml"),
    ],
    [
      "manifests/helm/tranquil/files/tranquil-dashboard.json",
      await copy("manifests/grafana/tranquil-dashboard.json"),
    ],
  ]);
}

/** The files rendered from the chart as it is on disk (its copies included as they are there). */
export async function chartRenders(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  files.set(
    "manifests/install.yaml",
    header(
      "Tranquil, all of it, for kubectl apply. First: kubectl create namespace tranquil-system and the\n# API token: kubectl -n tranquil-system create secret generic tranquil-api-token --from-literal=token=$(openssl rand -hex 24)",
    ) + (await renderChart(["--include-crds", ...PLAIN_VALUES])),
  );
  const only = (template: string): Promise<string> =>
    renderChart([...PLAIN_VALUES, "--show-only", `templates/${template}`]);
  files.set(
    "manifests/rbac/tranquil-controller.yaml",
    header(
      "The controller's ServiceAccount and least-privilege RBAC. The namespace must exist first:\n# kubectl create namespace tranquil-system",
    ) + (await only("controller-rbac.yaml")),
  );
  files.set(
    "manifests/injection/tranquil-injector.yaml",
    header(
      "The TraceManager injection webhook (docs/injection.md). The namespace must exist first:\n# kubectl create namespace tranquil-system",
    ) + (await only("injector.yaml")),
  );
  return files;
}

/** Every generated file: its path from the repository root and its content. */
export async function renderedManifests(): Promise<Map<string, string>> {
  return new Map([...(await chartCopies()), ...(await chartRenders())]);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // The copies first: the chart renders what its folder holds.
  const write = async (files: Map<string, string>): Promise<number> => {
    for (const [path, content] of files) await writeFile(join(REPO, path), content);
    return files.size;
  };
  write(await chartCopies())
    .then(async (copies) => copies + (await write(await chartRenders())))
    .then(
      (count) => process.stderr.write(`tranquil: rendered ${count} files from the chart\n`),
      (err: unknown) => {
        process.stderr.write(`tranquil: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
      },
    );
}
