/**
 * What the API answers for an error: a status and `{error, problems?}`, bounded whatever the
 * input was. A spec with thousands of unknown fields, or a key of 100 KB, yields a short list
 * of short problems, never an answer that repeats the request.
 */
import { formatProblems, InvalidSpecError, type SpecProblem } from "../upgrade-spec/validate.js";
import { echo } from "./echo.js";

/** The most problems an answer lists; the rest are counted. */
export const MAX_PROBLEMS = 20;
/** The most characters of a problem's path or message. */
const PROBLEM_MAX = 200;
/** The most characters of any error message. */
export const MESSAGE_MAX = 1024;

/** The JSON body of an error answer. */
export interface ErrorBody {
  readonly error: string;
  readonly problems?: readonly SpecProblem[];
}

/** The status and body for `err`. */
export function errorAnswer(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof InvalidSpecError) {
    const problems = err.problems
      .slice(0, MAX_PROBLEMS)
      .map((p) => ({ path: echo(p.path, PROBLEM_MAX), message: echo(p.message, PROBLEM_MAX) }));
    return { status: 400, body: { error: specMessage(problems, err.problems.length), problems } };
  }
  if (err instanceof SyntaxError)
    return {
      status: 400,
      body: { error: `request body is not valid JSON: ${echo(err.message, PROBLEM_MAX)}` },
    };
  if (err instanceof Error && "status" in err && typeof err.status === "number") {
    // A store that cannot reach its backend (status 0) is unavailable, not a bad request.
    const status = err.status >= 400 && err.status <= 599 ? err.status : 503;
    return { status, body: { error: echo(err.message, MESSAGE_MAX) } };
  }
  return { status: 500, body: { error: "internal error; see the controller's log" } };
}

/** `invalid Upgrade spec: p1; p2; and N more`: as many problems as fit in MESSAGE_MAX, the rest counted. */
function specMessage(problems: readonly SpecProblem[], total: number): string {
  const head = "invalid Upgrade spec: ";
  let listed = 0;
  let text = "";
  for (const problem of problems) {
    const next = (listed === 0 ? "" : "; ") + formatProblems([problem]);
    // Room for "; and 99999 more" after the problems that fit.
    if (head.length + text.length + next.length > MESSAGE_MAX - 20) break;
    text += next;
    listed++;
  }
  const more = total - listed;
  return `${head}${text}${more > 0 ? `${listed === 0 ? "" : "; "}and ${more} more` : ""}`;
}
