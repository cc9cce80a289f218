/** Limits on user input, in one place. */
export const LIMITS = {
  maxGoodsLines: 50,
  maxQuantity: 1000,
  maxNameLength: 100,
  minPasswordLength: 8,
  maxPasswordLength: 200,
  maxIdLength: 64,
} as const;

// E.164-style: optional +, 7 to 15 digits, no leading zero.
const PHONE = /^\+?[1-9][0-9]{6,14}$/;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** True for a phone number in E.164 shape (`+15551234567`). */
export function isPhone(value: unknown): value is string {
  return typeof value === "string" && PHONE.test(value);
}

/** What {@link isId} accepts, in words for messages. */
export const ID_RULE = "1 to 64 letters, digits, '-' or '_'";

/** True for a simple identifier (letters, digits, `-`, `_`; at most 64). */
export function isId(value: unknown): value is string {
  return typeof value === "string" && ID.test(value);
}

/** True for a non-empty trimmed name of bounded length. */
export function isName(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "" && value.length <= LIMITS.maxNameLength;
}

/** True for a whole quantity in 1..maxQuantity. */
export function isQuantity(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= LIMITS.maxQuantity;
}
