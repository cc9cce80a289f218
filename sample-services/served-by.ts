import type { Metadata } from "@grpc/grpc-js";

/** Response metadata key (gRPC) and response header (HTTP) that list the serving versions. */
export const SERVED_BY_KEY = "x-served-by";

/** `"<service>@<version>"`, e.g. `"auth-service@v2"`. */
export function servedByEntry(service: string, version: string): string {
  return `${service}@${version}`;
}

/**
 * Accumulates the versions that served one transaction, in the order the hops reported them,
 * without duplicates.
 */
export class ServedBy {
  readonly #entries: string[] = [];

  constructor(initial: readonly string[] = []) {
    this.add(initial);
  }

  /** Adds entries not yet present, keeping first-seen order. */
  add(entries: readonly string[]): void {
    for (const e of entries) if (e !== "" && !this.#entries.includes(e)) this.#entries.push(e);
  }

  /** The entries so far. */
  list(): string[] {
    return [...this.#entries];
  }
}

/** Encodes a servedBy list for a metadata value or header (comma-separated). */
export function encodeServedBy(entries: readonly string[]): string {
  return entries.join(",");
}

/** Decodes a comma-separated servedBy value. */
export function decodeServedBy(value: string | undefined | null): string[] {
  if (value === undefined || value === null || value === "") return [];
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** Reads servedBy from gRPC (trailing or initial) metadata. */
export function servedByFromMetadata(metadata: Metadata | undefined): string[] {
  if (metadata === undefined) return [];
  return metadata
    .get(SERVED_BY_KEY)
    .flatMap((v) => decodeServedBy(typeof v === "string" ? v : v.toString("utf8")));
}

/**
 * Services that appear with more than one version in a servedBy list: the mark of a
 * mixed-version transaction. Returns e.g. `{ "auth-service": ["v1", "v2"] }`.
 */
export function mixedVersions(entries: readonly string[]): Record<string, string[]> {
  const byService = new Map<string, Set<string>>();
  for (const e of entries) {
    const at = e.lastIndexOf("@");
    if (at <= 0) continue;
    const service = e.slice(0, at);
    const versions = byService.get(service) ?? new Set<string>();
    versions.add(e.slice(at + 1));
    byService.set(service, versions);
  }
  const out: Record<string, string[]> = {};
  for (const [service, versions] of byService) if (versions.size > 1) out[service] = [...versions].sort();
  return out;
}
