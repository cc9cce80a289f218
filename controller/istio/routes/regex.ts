/**
 * RE2 patterns the planner writes into header matches. Envoy matches them as a full match of
 * the whole header value (safe_regex), so a token in a comma list needs the list around it.
 */

/** Istio rejects header regexes longer than this. */
export const MAX_REGEX_LENGTH = 1024;

/** Escape every RE2 metacharacter in `text`. */
export function escapeRe2(text: string): string {
  // `-` is special only inside a class; escaping it would cost every UUID four characters.
  return text.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&");
}

/**
 * Full-match pattern for `id` as one token of a comma-separated header value:
 * `(.*,\s*)?<id>(\s*,.*)?`.
 */
export function enrolmentRegex(id: string): string {
  return `(.*,\\s*)?${escapeRe2(id)}(\\s*,.*)?`;
}

/**
 * Alternations of transaction ids, each pattern within MAX_REGEX_LENGTH characters: 27 UUIDs
 * or 31 32-hex ids per pattern. Order is kept, so the same ids give the same chunks. An id too
 * long to fit alone is refused, since a pin that cannot be written must not be assumed.
 */
export function pinRegexChunks(ids: readonly string[]): string[] {
  const chunks: string[] = [];
  let current = "";
  for (const id of ids) {
    const escaped = escapeRe2(id);
    if (escaped.length > MAX_REGEX_LENGTH) {
      throw new Error(
        `cannot pin transaction id "${id.slice(0, 64)}…": longer than a ${MAX_REGEX_LENGTH}-character regex`,
      );
    }
    if (current === "") current = escaped;
    else if (current.length + 1 + escaped.length <= MAX_REGEX_LENGTH) current = `${current}|${escaped}`;
    else {
      chunks.push(current);
      current = escaped;
    }
  }
  if (current !== "") chunks.push(current);
  return chunks;
}
