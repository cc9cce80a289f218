/**
 * Turns `tranquil upgrade` flags into an Upgrade name and spec, refusing bad input before any
 * request is made (G6): the same validator the controller runs (spec/validate.ts), with each
 * problem named by the flag that caused it.
 */
import { DNS_LABEL_PATTERN, type ServiceSpec, type UpgradeSpec } from "../upgrade-spec/schema.js";
import { validateUpgradeSpec, type SpecProblem } from "../upgrade-spec/validate.js";
import { CliError } from "./cli-error.js";
import { ExitCode } from "./exit-codes.js";

/** The flags of `tranquil upgrade`. */
export interface UpgradeFlags {
  readonly to: string;
  readonly from?: string | undefined;
  readonly name?: string | undefined;
  /** `<ref>` (one service) or `<service>=<ref>`, repeatable. */
  readonly image?: readonly string[] | undefined;
  /** A comma list of integers, e.g. "10,50,100". */
  readonly steps?: string | undefined;
  readonly stepInterval?: string | undefined;
}

/** What `tranquil upgrade` POSTs. */
export interface UpgradeRequest {
  readonly name: string;
  readonly spec: UpgradeSpec;
}

const dnsLabel = new RegExp(DNS_LABEL_PATTERN);

/** Builds and validates the request; throws a CliError (exit 2) listing every problem. */
export function buildUpgradeRequest(services: readonly string[], flags: UpgradeFlags): UpgradeRequest {
  if (services.length === 0) {
    throw new CliError(
      "name at least one service to upgrade, e.g. `tranquil upgrade auth-service --from v1 --to v2`",
      ExitCode.BadInput,
    );
  }
  if (flags.from === undefined) {
    throw new CliError(
      "--from <version> is required for now: name the version the services run today (their `version` label), e.g. --from v1",
      ExitCode.BadInput,
    );
  }
  const problems: string[] = [];
  const images = parseImages(services, flags.image ?? [], problems);
  const steps = flags.steps === undefined ? undefined : parseSteps(flags.steps, problems);
  const strategy = {
    ...(steps !== undefined ? { steps } : {}),
    ...(flags.stepInterval !== undefined ? { stepInterval: flags.stepInterval } : {}),
  };
  const from = flags.from;
  const spec: UpgradeSpec = {
    services: services.map((name): ServiceSpec => {
      const image = images.get(name);
      return { name, from, to: flags.to, ...(image !== undefined ? { image } : {}) };
    }),
    ...(Object.keys(strategy).length > 0 ? { strategy } : {}),
  };
  const validation = validateUpgradeSpec(spec);
  if (!validation.ok) problems.push(...validation.problems.map((p) => describe(p, spec)));
  const name = flags.name ?? `${services[0] ?? ""}-${flags.to}`;
  // A default name is only worth a complaint when the services and version it is made of are fine.
  if ((flags.name !== undefined || problems.length === 0) && (name.length > 63 || !dnsLabel.test(name))) {
    problems.push(
      flags.name === undefined
        ? `the default name "${name}" is too long for a DNS label (at most 63 characters); pass a shorter --name`
        : `--name "${name}" is not a DNS label: use lower-case letters, digits and '-', at most 63 characters`,
    );
  }
  if (problems.length > 0) {
    throw new CliError("the upgrade was not sent; fix these and try again:", ExitCode.BadInput, problems);
  }
  return { name, spec };
}

/** "10,50,100" → [10, 50, 100]; anything but a comma list of integers is a problem. */
function parseSteps(text: string, problems: string[]): number[] | undefined {
  const trimmed = text.replace(/\s+/g, "");
  if (!/^[0-9]+(,[0-9]+)*$/.test(trimmed)) {
    problems.push(`--steps "${text}" is not a comma list of whole percentages; write e.g. --steps 10,50,100`);
    return undefined;
  }
  return trimmed.split(",").map(Number);
}

function parseImages(
  services: readonly string[],
  values: readonly string[],
  problems: string[],
): Map<string, string> {
  const images = new Map<string, string>();
  for (const value of values) {
    const eq = value.indexOf("=");
    if (eq < 0) {
      if (services.length !== 1) {
        problems.push(
          `--image "${value}" names no service; with several services write --image <service>=<ref>`,
        );
      } else if (services[0] !== undefined) images.set(services[0], value);
      continue;
    }
    const service = value.slice(0, eq);
    if (!services.includes(service)) {
      problems.push(
        `--image "${value}": "${service}" is not one of the services to upgrade (${services.join(", ")})`,
      );
    } else images.set(service, value.slice(eq + 1));
  }
  return images;
}

/** A validator problem in the words of the command line: which flag or service, and why. */
function describe(problem: SpecProblem, spec: UpgradeSpec): string {
  const service = /^services\.([0-9]+)(?:\.(name|from|to|image))?$/.exec(problem.path);
  if (service) {
    const svc = spec.services[Number(service[1])];
    const field = service[2] as "name" | "from" | "to" | "image" | undefined;
    if (field === "name" || field === undefined) return `service "${svc?.name ?? ""}": ${problem.message}`;
    return `--${field} "${svc?.[field] ?? ""}": ${problem.message}`;
  }
  if (problem.path.startsWith("strategy.steps")) return `--steps: ${problem.message}`;
  if (problem.path === "strategy.stepInterval") return `--step-interval: ${problem.message}`;
  if (problem.path === "services") return `services: ${problem.message}`;
  return `${problem.path || "spec"}: ${problem.message}`;
}
