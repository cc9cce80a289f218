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
  /** `<version>` (every service) or `<service>=<version>`, repeatable. */
  readonly to: string | readonly string[];
  /** `<version>` (every service) or `<service>=<version>`, repeatable. */
  readonly from?: string | readonly string[] | undefined;
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
  const problems: string[] = [];
  const from = perService("from", services, flags.from, problems);
  const to = perService("to", services, flags.to, problems);
  const images = parsePerService("image", services, flags.image ?? [], problems);
  const steps = flags.steps === undefined ? undefined : parseSteps(flags.steps, problems);
  const strategy = {
    ...(steps !== undefined ? { steps } : {}),
    ...(flags.stepInterval !== undefined ? { stepInterval: flags.stepInterval } : {}),
  };
  const spec: UpgradeSpec = {
    services: services.map((name): ServiceSpec => {
      const image = images.get(name);
      return {
        name,
        from: from.get(name) ?? "",
        to: to.get(name) ?? "",
        ...(image !== undefined ? { image } : {}),
      };
    }),
    ...(Object.keys(strategy).length > 0 ? { strategy } : {}),
  };
  // Without a version for every service the validator would only repeat what is missing.
  if (services.some((svc) => !from.has(svc) || !to.has(svc))) {
    throw new CliError(
      "the upgrade was not sent; fix these and try again:",
      ExitCode.BadInput,
      once(problems),
    );
  }
  const validation = validateUpgradeSpec(spec);
  if (!validation.ok) problems.push(...validation.problems.map((p) => describe(p, spec)));
  const name = flags.name ?? `${services[0] ?? ""}-${to.get(services[0] ?? "") ?? ""}`;
  // A default name is only worth a complaint when the services and version it is made of are fine.
  if ((flags.name !== undefined || problems.length === 0) && (name.length > 63 || !dnsLabel.test(name))) {
    problems.push(
      flags.name === undefined
        ? `the default name "${name}" is too long for a DNS label (at most 63 characters); pass a shorter --name`
        : `--name "${name}" is not a DNS label: use lower-case letters, digits and '-', at most 63 characters`,
    );
  }
  if (problems.length > 0) {
    throw new CliError(
      "the upgrade was not sent; fix these and try again:",
      ExitCode.BadInput,
      once(problems),
    );
  }
  return { name, spec };
}

/**
 * Each problem once: a version given once for several services (`--from V1`) is checked for
 * each of them, and the validator then reports the same flag and value for every one.
 */
function once(problems: readonly string[]): string[] {
  return [...new Set(problems)];
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

/**
 * `--from`/`--to`: one version for every service, or `<service>=<version>` per service (a
 * release train whose services run different versions today). Every service needs one.
 */
function perService(
  flag: "from" | "to",
  services: readonly string[],
  value: string | readonly string[] | undefined,
  problems: string[],
): Map<string, string> {
  const values = value === undefined ? [] : typeof value === "string" ? [value] : value;
  const all = values.filter((v) => !v.includes("="));
  const versions = parsePerService(flag, services, values, problems, true);
  if (all.length > 1)
    problems.push(
      `--${flag} is given ${all.length} times without a service; give it once, or as <service>=<version>`,
    );
  for (const service of services) {
    if (versions.has(service)) continue;
    const shared = all[0];
    if (shared !== undefined) versions.set(service, shared);
    else if (flag === "from") {
      problems.push(
        `--from: name the version service "${service}" runs today (its \`version\` label), e.g. --from v1, or --from ${service}=v1 per service`,
      );
    } else
      problems.push(
        `--to: name the new version of service "${service}", e.g. --to v2, or --to ${service}=v2`,
      );
  }
  return versions;
}

/** `<service>=<value>` entries (and a bare `<value>` with one service, unless `sharedAllowed` keeps it for the caller). */
function parsePerService(
  flag: "from" | "to" | "image",
  services: readonly string[],
  values: readonly string[],
  problems: string[],
  sharedAllowed = false,
): Map<string, string> {
  const found = new Map<string, string>();
  for (const value of values) {
    const eq = value.indexOf("=");
    if (eq < 0) {
      if (sharedAllowed) continue;
      if (services.length !== 1) {
        problems.push(
          `--${flag} "${value}" names no service; with several services write --${flag} <service>=<value>`,
        );
      } else if (services[0] !== undefined) found.set(services[0], value);
      continue;
    }
    const service = value.slice(0, eq);
    if (!services.includes(service)) {
      problems.push(
        `--${flag} "${value}": "${service}" is not one of the services to upgrade (${services.join(", ")})`,
      );
    } else if (found.has(service)) {
      problems.push(
        `--${flag} names service "${service}" twice; give one ${flag === "image" ? "image" : "version"} per service`,
      );
    } else found.set(service, value.slice(eq + 1));
  }
  return found;
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
