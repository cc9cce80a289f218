/**
 * The page's calls to the controller's API (same origin): the list, the status stream, and the
 * verbs with the token. The token lives in this tab's sessionStorage only and travels only in
 * the Authorization header of a verb (ADR 0091); a refusal is shown as the API words it.
 */
import type { RecentEventsBody } from "../../api/dashboard/recent-events.js";
import type { UpgradeView } from "../../api/view.js";
import type { Verb } from "../view-model.js";

const TOKEN_KEY = "tranquil.token";

/** The token entered in this tab, if any. */
export function storedToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** Keeps `token` for this tab (undefined forgets it). */
export function storeToken(token: string | undefined): void {
  if (token === undefined || token === "") sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/** A call the API refused or that did not reach it, with the API's own words when it gave any. */
export class ApiRefusal extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "ApiRefusal";
  }
}

const query = (namespace: string): string => `?namespace=${encodeURIComponent(namespace)}`;
const path = (key: { namespace: string; name: string }, tail = ""): string =>
  `/v1/upgrades/${encodeURIComponent(key.name)}${tail}${query(key.namespace)}`;

/** Every upgrade, in every namespace. */
export async function listUpgrades(): Promise<UpgradeView[]> {
  const body = (await call("/v1/upgrades", { method: "GET" })) as { upgrades: UpgradeView[] };
  return body.upgrades;
}

/** Sends a verb with the stored token; resolves to the upgrade's new view. */
export async function sendVerb(key: { namespace: string; name: string }, verb: Verb): Promise<UpgradeView> {
  const token = storedToken();
  if (token === undefined)
    throw new ApiRefusal("enter the API token first (top right); it is kept in this tab only", 0);
  return (await call(path(key, `/${verb}`), {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: "{}",
  })) as UpgradeView;
}

/** The Events the controller recorded about one upgrade (reads need no token). */
export async function recentEvents(key: { namespace: string; name: string }): Promise<RecentEventsBody> {
  return (await call(path(key, "/recent-events"), { method: "GET" })) as RecentEventsBody;
}

/** The status stream of one upgrade (reads need no token). */
export function statusStream(key: { namespace: string; name: string }): EventSource {
  return new EventSource(path(key, "/events"));
}

async function call(url: string, init: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, cache: "no-store", credentials: "omit" });
  } catch {
    throw new ApiRefusal("the controller cannot be reached; is it still running?", 0);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (res.ok) return body;
  const error = (body as { error?: unknown } | undefined)?.error;
  throw new ApiRefusal(
    typeof error === "string" ? error : `the controller answered ${res.status} ${res.statusText}`,
    res.status,
  );
}
