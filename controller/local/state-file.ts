/**
 * The local state file's format and its validation on load (ADR 0087). Nothing in the file is
 * trusted: the envelope (version, revision, upgrades) is checked, every record is checked with
 * the schemas the API and the reconciler use (record-check.ts), resourceVersions must be the
 * decimal revisions this store writes, and no key may appear twice. A file that fails is
 * refused as a whole, with every problem named by record.
 */
import type { UpgradeRecord } from "../ports/upgrade-store.js";
import { keyString } from "../ports/upgrade-store.js";
import { recordProblems } from "../reconciler/record-check.js";
import { DNS_LABEL_PATTERN } from "../upgrade-spec/schema.js";

/** The namespace of records written before Upgrades had one (state file version 1). */
export const V1_NAMESPACE = "default";

/** The state file as written (version 2). */
export interface StateFileV2 {
  readonly version: 2;
  readonly revision: number;
  readonly upgrades: readonly UpgradeRecord[];
}

/** What a valid state file holds. */
export interface LoadedState {
  readonly revision: number;
  readonly upgrades: readonly UpgradeRecord[];
}

/** Thrown when a state file is refused; `problems` lists every reason, record by record. */
export class InvalidStateFileError extends Error {
  constructor(
    readonly path: string,
    readonly problems: readonly string[],
  ) {
    super(
      `the upgrade state file ${path} is not valid: ${problems.join("; ")}. ` +
        "Fix or delete the named record(s) in the file, or move the file aside to start afresh " +
        "(its upgrades are then forgotten; routes and workloads they made stay as they are).",
    );
    this.name = "InvalidStateFileError";
  }
}

const DNS_LABEL = new RegExp(DNS_LABEL_PATTERN);
const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Parses and validates a state file's text; throws {@link InvalidStateFileError} naming every problem. */
export function parseStateFile(text: string, path: string): LoadedState {
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch (err) {
    throw new Error(`the upgrade state file ${path} is not valid JSON; move it aside to start afresh`, {
      cause: err,
    });
  }
  if (typeof state !== "object" || state === null || Array.isArray(state)) {
    throw new InvalidStateFileError(path, [
      `it holds ${describeValue(state)}, not an object {"version": 2, "revision": …, "upgrades": […]}`,
    ]);
  }
  const envelope = state as Record<string, unknown>;
  const problems: string[] = [];
  const version = envelope.version;
  if (version !== 1 && version !== 2) problems.push(`version: must be 1 or 2, not ${describeValue(version)}`);
  const revision = envelope.revision;
  if (!Number.isSafeInteger(revision) || (revision as number) < 0) {
    problems.push(`revision: must be a whole number ≥ 0, not ${describeValue(revision)}`);
  }
  if (!Array.isArray(envelope.upgrades)) {
    problems.push(`upgrades: must be a list of records, not ${describeValue(envelope.upgrades)}`);
  }
  if (problems.length > 0) throw new InvalidStateFileError(path, problems);

  const upgrades: UpgradeRecord[] = [];
  const seen = new Map<string, number>();
  (envelope.upgrades as unknown[]).forEach((raw, index) => {
    const record = version === 1 ? fromV1(raw) : raw;
    const where = `upgrades[${index}]${nameOf(record)}`;
    const recordIssues = [...keyProblems(record, version === 1), ...recordProblems(record)];
    const rv = (record as { resourceVersion?: unknown } | null)?.resourceVersion;
    if (typeof rv !== "string" || !DECIMAL.test(rv)) {
      recordIssues.push(`resourceVersion: must be a decimal number in a string, not ${describeValue(rv)}`);
    } else if (Number(rv) > (revision as number)) {
      recordIssues.push(`resourceVersion ${rv} is above the file's revision ${String(revision)}`);
    }
    if (!Number.isFinite((record as { createdAt?: unknown } | null)?.createdAt)) {
      recordIssues.push("createdAt: must be a time in epoch milliseconds");
    }
    for (const issue of recordIssues) problems.push(`${where}: ${issue}`);
    if (recordIssues.length > 0) return;
    const stored = record as UpgradeRecord;
    const k = keyString(stored);
    const first = seen.get(k);
    if (first !== undefined) problems.push(`${where}: the same namespace and name as upgrades[${first}]`);
    else seen.set(k, index);
    upgrades.push(stored);
  });
  if (problems.length > 0) throw new InvalidStateFileError(path, problems);
  return { revision: revision as number, upgrades };
}

/** The text of a state file holding `upgrades` at `revision`. */
export function formatStateFile(revision: number, upgrades: readonly UpgradeRecord[]): string {
  const state: StateFileV2 = { version: 2, revision, upgrades };
  return JSON.stringify(state);
}

/** Version 1 records had no namespace; their `id` was both the name and the enrolment id. */
function fromV1(raw: unknown): unknown {
  if (typeof raw !== "object" || raw === null) return raw;
  const record = raw as { id?: unknown };
  return { ...record, namespace: V1_NAMESPACE, name: record.id };
}

function keyProblems(record: unknown, v1: boolean): string[] {
  if (typeof record !== "object" || record === null) return [];
  const r = record as Record<string, unknown>;
  const problems: string[] = [];
  for (const field of v1 ? ["id"] : ["namespace", "name", "id"]) {
    const value = r[field];
    if (typeof value !== "string" || !DNS_LABEL.test(value)) {
      problems.push(
        `${field}: must be a DNS label (lower-case letters, digits, '-'), not ${describeValue(value)}`,
      );
    }
  }
  return problems;
}

function nameOf(record: unknown): string {
  const r = record as { namespace?: unknown; name?: unknown } | null;
  return typeof r?.namespace === "string" && typeof r.name === "string" ? ` (${r.namespace}/${r.name})` : "";
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
