/**
 * `--kubeconfig` and `--context`: the cluster the CLI talks to when it does not go through a
 * controller's HTTP API. The kubeconfig comes from the usual places (the flag, `KUBECONFIG`,
 * `~/.kube/config`, in-cluster), the context from the flag or the file's current one.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { CliError } from "./cli-error.js";
import { ExitCode } from "./exit-codes.js";

/** Loads the kubeconfig and selects the context; a context the file lacks is bad input. */
export function loadKubeContext(kubeconfig: string | undefined, context: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (kubeconfig !== undefined) kc.loadFromFile(kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new CliError(
      `cannot read the kubeconfig ${kubeconfig ?? "(KUBECONFIG or ~/.kube/config)"}: ${err instanceof Error ? err.message : String(err)}`,
      ExitCode.BadInput,
      [],
      { cause: err },
    );
  }
  if (context !== undefined) {
    if (kc.getContextObject(context) === null) {
      throw new CliError(
        `the kubeconfig has no context "${context}"; it has ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(", ") || "none"
        }`,
        ExitCode.BadInput,
      );
    }
    kc.setCurrentContext(context);
  }
  if (kc.getCurrentCluster() === null) {
    throw new CliError(
      "the kubeconfig names no cluster for its current context; pass --context",
      ExitCode.BadInput,
    );
  }
  return kc;
}
