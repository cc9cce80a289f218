/**
 * The enrolment id of an Upgrade (ADR 0074). Upgrade names are unique per namespace, but the
 * enrolment id is mesh-wide: it names Tranquil's routes (`tranquil-<id>-e<N>`), travels in the
 * enrolment header across namespaces and keys the trace records. So it is the name followed by
 * six hex digits of a hash of `namespace/name`: a DNS label, the same on every controller and
 * after every restart, and different for two namespaces' Upgrades of the same name. Validating
 * still refuses an Upgrade whose id an active Upgrade already holds, so a hash collision is
 * refused rather than mixed.
 */
import { createHash } from "node:crypto";

const SUFFIX_LENGTH = 6;
const MAX_LABEL = 63;

/** The enrolment id of Upgrade `name` in `namespace`. */
export function enrolmentId(namespace: string, name: string): string {
  const suffix = createHash("sha256").update(`${namespace}/${name}`).digest("hex").slice(0, SUFFIX_LENGTH);
  // A long name is cut so the id stays a DNS label; the hash still covers the whole name.
  const head = name.slice(0, MAX_LABEL - SUFFIX_LENGTH - 1).replace(/-+$/, "");
  return `${head}-${suffix}`;
}
