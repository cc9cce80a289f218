/**
 * Instants as Kubernetes writes them: RFC 3339 strings in UTC with milliseconds
 * (`2026-12-02T19:00:00.123Z`), while the engine keeps epoch milliseconds. Writing and reading
 * back an integer millisecond gives the same number; reading accepts any RFC 3339 instant
 * (an offset, fewer or more fraction digits) and refuses anything else, naming the field.
 */

/** A stored instant that is not a valid RFC 3339 string; `field` says where it was. */
export class InvalidInstantError extends Error {
  constructor(
    readonly field: string,
    value: unknown,
  ) {
    super(`${field} is not an RFC 3339 instant (like 2026-12-02T19:00:00.123Z): ${JSON.stringify(value)}`);
    this.name = "InvalidInstantError";
  }
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** The first instant RFC 3339 can write (year 0000) and the last (year 9999), in epoch ms. */
const EARLIEST_MS = new Date(0).setUTCFullYear(0, 0, 1);
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Epoch milliseconds → `YYYY-MM-DDTHH:mm:ss.sssZ`; a fraction of a millisecond is rounded off. */
export function formatInstant(ms: number, field: string): string {
  const whole = Math.round(ms);
  if (!Number.isFinite(ms) || whole < EARLIEST_MS || whole > LATEST_MS) {
    throw new RangeError(`${field}: ${ms} is not an instant RFC 3339 can write (years 0000 to 9999)`);
  }
  return new Date(whole).toISOString();
}

/** An RFC 3339 string → epoch milliseconds; digits past the millisecond are dropped. */
export function parseInstant(value: unknown, field: string): number {
  const m = typeof value === "string" ? RFC3339.exec(value) : null;
  if (m === null) throw new InvalidInstantError(field, value);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = Number((m[7] ?? "").padEnd(3, "0").slice(0, 3));
  const offsetSign = m[9] === "-" ? -1 : 1;
  const offsetHours = Number(m[10] ?? 0);
  const offsetMinutes = Number(m[11] ?? 0);
  const valid =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHours <= 23 &&
    offsetMinutes <= 59;
  if (!valid) throw new InvalidInstantError(field, value);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  const local =
    new Date(0).setUTCFullYear(year, month - 1, day) + ((hour * 60 + minute) * 60 + second) * 1000;
  return local + millis - offsetSign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return new Date(Date.UTC(2001, month, 0)).getUTCDate();
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return leap ? 29 : 28;
}
