/**
 * CRDs of other projects the chart's optional objects need on an API server: the Prometheus
 * Operator's ServiceMonitor and cert-manager's Issuer and Certificate, read from those projects'
 * released Go modules (fetched through the module proxy into the Go module cache, pinned here).
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { loadAllYaml, type KubernetesObject } from "@kubernetes/client-node";

const run = promisify(execFile);

/** A released module and the CRD files in it. */
interface CrdSource {
  readonly module: string;
  readonly version: string;
  readonly files: readonly string[];
}

/** The pinned sources. */
export const THIRD_PARTY_CRDS: readonly CrdSource[] = [
  {
    module: "github.com/prometheus-operator/prometheus-operator",
    version: "v0.85.0",
    files: ["example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml"],
  },
  {
    module: "github.com/cert-manager/cert-manager",
    version: "v1.21.2",
    files: ["deploy/crds/cert-manager.io_issuers.yaml", "deploy/crds/cert-manager.io_certificates.yaml"],
  },
];

/** The folder of a module in the Go module cache, downloaded first when missing. */
async function moduleDir(module: string, version: string): Promise<string> {
  const { stdout } = await run("go", ["mod", "download", "-json", `${module}@${version}`], {
    maxBuffer: 4 * 1024 * 1024,
  });
  const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
  if (info.Dir === undefined)
    throw new Error(`go mod download ${module}@${version}: ${info.Error ?? "no folder"}`);
  return info.Dir;
}

/** Every CRD object of {@link THIRD_PARTY_CRDS}. */
export async function thirdPartyCrds(): Promise<KubernetesObject[]> {
  const out: KubernetesObject[] = [];
  for (const source of THIRD_PARTY_CRDS) {
    const dir = await moduleDir(source.module, source.version);
    for (const file of source.files) {
      const docs = loadAllYaml(await readFile(join(dir, file), "utf8")) as (KubernetesObject | null)[];
      out.push(...docs.filter((d): d is KubernetesObject => d !== null));
    }
  }
  return out;
}
