import type { ActiveUpgrade, Enrolment, TxnId } from "../store/port.js";
import { isDnsLabel } from "../ids.js";

/**
 * The enrolment bucket of a transaction for an upgrade, 0..99: FNV-1a (32 bit) over
 * `<upgrade id>\n<txn id>`, modulo 100. Hashing the upgrade id in keeps concurrent upgrades
 * independent; a retry with the same id gets the same bucket.
 */
export function enrolmentBucket(txn: TxnId, upgradeId: string): number {
  let h = 0x811c9dc5;
  const s = `${upgradeId}\n${txn}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % 100;
}

/** The gateway's decision for one transaction over the active upgrades. */
export interface EnrolmentDecision {
  readonly enrolments: Enrolment[];
  /** Enrolled upgrade ids, comma-joined, or null when none (then the header is removed). */
  readonly headerValue: string | null;
}

/**
 * Decides enrolment per upgrade: enrolled iff bucket < weight. Upgrades whose id is not a DNS
 * label are skipped (they could not travel in the header safely); `onSkip` counts them.
 */
export function decideEnrolment(
  txn: TxnId,
  upgrades: readonly ActiveUpgrade[],
  onSkip: (id: string) => void = () => undefined,
): EnrolmentDecision {
  const enrolments: Enrolment[] = [];
  const enrolled: string[] = [];
  for (const u of upgrades) {
    if (!isDnsLabel(u.id)) {
      onSkip(u.id);
      continue;
    }
    const yes = enrolmentBucket(txn, u.id) < u.weight;
    enrolments.push({ upgrade: u.id, enrolled: yes, weightVersion: u.weightVersion });
    if (yes) enrolled.push(u.id);
  }
  return { enrolments, headerValue: enrolled.length > 0 ? enrolled.join(",") : null };
}
