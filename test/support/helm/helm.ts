/**
 * The real Helm, built from Go modules (helm.sh/helm/v4, pinned by `go-module/go.mod` and
 * `go.sum`) into `~/.cache/tranquil/helm/<version>/` once, and run with its own empty config,
 * cache and data folders so nothing of the machine's Helm setup leaks in. Run directly to build
 * ahead of the tests:
 *
 *   npx tsx test/support/helm/helm.ts
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ensureGoBinaries, tranquilCacheDir, type GoTarget } from "../go-binaries.js";

/** The pinned Helm. */
export const HELM_VERSION = "v4.3.2";

const MODULE = join(import.meta.dirname, "go-module");

function target(): GoTarget {
  return {
    file: join(tranquilCacheDir("helm", HELM_VERSION), "helm"),
    module: MODULE,
    pkg: "helm.sh/helm/v4/cmd/helm",
    // `helm version` reports the pinned version, as a released binary does.
    ldflags: `-s -w -X helm.sh/helm/v4/internal/version.version=${HELM_VERSION}`,
    version: HELM_VERSION,
  };
}

/** The helm binary, built first when the cache lacks it. */
export async function ensureHelm(
  log: (line: string) => void = (l) => process.stderr.write(`tranquil helm: ${l}\n`),
): Promise<string> {
  const t = target();
  await ensureGoBinaries(tranquilCacheDir("helm", HELM_VERSION), [t], "Helm", log);
  return t.file;
}

/** What one helm command printed and how it ended. */
export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `helm <args>` (in `cwd`, default the current folder) with empty Helm homes. */
export async function runHelm(args: readonly string[], cwd?: string): Promise<HelmResult> {
  const helm = await ensureHelm();
  const home = await mkdtemp(join(tmpdir(), "tranquil-helm-"));
  try {
    return await new Promise<HelmResult>((resolve, reject) => {
      execFile(
        helm,
        args,
        {
          cwd,
          maxBuffer: 64 * 1024 * 1024,
          env: {
            PATH: process.env["PATH"] ?? "",
            HOME: home,
            HELM_CACHE_HOME: join(home, "cache"),
            HELM_CONFIG_HOME: join(home, "config"),
            HELM_DATA_HOME: join(home, "data"),
          },
        },
        (err, stdout, stderr) => {
          if (err === null) return resolve({ code: 0, stdout, stderr });
          if (typeof err.code === "number") return resolve({ code: err.code, stdout, stderr });
          reject(new Error(`cannot run ${helm}: ${err.message}`, { cause: err }));
        },
      );
    });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Runs `helm <args>`; rejects with helm's own message when it fails. */
export async function helm(args: readonly string[], cwd?: string): Promise<string> {
  const r = await runHelm(args, cwd);
  if (r.code !== 0) throw new Error(`helm ${args.join(" ")} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  ensureHelm().then(
    (file) => process.stderr.write(`tranquil helm: Helm ${HELM_VERSION} ready at ${file}\n`),
    (err: unknown) => {
      process.stderr.write(`tranquil helm: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
