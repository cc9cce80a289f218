/**
 * The notification settings of one install, from the controller's flags or environment:
 * generic JSON webhook URLs, Slack incoming-webhook URLs (given inline, or read from files so
 * that a mounted Secret keeps them off the command line), which kinds are sent, and the
 * long-wait threshold. Parsed once and checked, every problem named (docs/notifications.md).
 */
import { readFileSync } from "node:fs";
import { parseDuration } from "../upgrade-spec/duration.js";
import { NOTIFICATION_KINDS, type NotificationKind } from "./notification.js";
import { DEFAULT_WAIT_AFTER_MS } from "./long-waits.js";
import { DEFAULT_DELIVERY_POLICY, type DeliveryPolicy } from "./target-queue.js";

/** Where notifications go, and which. */
export interface NotifySettings {
  readonly webhooks: readonly string[];
  readonly slack: readonly string[];
  readonly events: readonly NotificationKind[];
  /** How long one wait lasts before it is notified (ms). */
  readonly waitAfterMs: number;
  readonly policy: DeliveryPolicy;
}

/** The settings as given: URLs, files of URLs, and the two texts. */
export interface NotifySources {
  readonly webhooks?: readonly string[];
  readonly webhookFiles?: readonly string[];
  readonly slack?: readonly string[];
  readonly slackFiles?: readonly string[];
  /** Comma-separated kinds, `all` (the default) or `none`. */
  readonly events?: string;
  /** A duration such as `10m`. */
  readonly waitAfter?: string;
}

/** What was wrong with the sources. */
export class NotifyConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`notification settings: ${problems.join("; ")}`);
    this.name = "NotifyConfigError";
  }
}

/** Reads a file of URLs (default: from disk). */
export type ReadText = (path: string) => string;

/**
 * The settings, or a {@link NotifyConfigError} naming every problem. A file holds URLs one per
 * line; blank lines and lines starting with `#` are skipped. URLs are http or https.
 */
export function resolveNotifySettings(
  sources: NotifySources,
  readText: ReadText = (path) => readFileSync(path, "utf8"),
): NotifySettings {
  const problems: string[] = [];
  const fromFiles = (files: readonly string[] | undefined, what: string): string[] =>
    (files ?? []).flatMap((path) => {
      try {
        return urlLines(readText(path));
      } catch (err) {
        problems.push(
          `cannot read the ${what} file ${path}: ${err instanceof Error ? err.message : String(err)}`,
        );
        return [];
      }
    });
  const webhooks = [...(sources.webhooks ?? []), ...fromFiles(sources.webhookFiles, "webhook URL")];
  const slack = [...(sources.slack ?? []), ...fromFiles(sources.slackFiles, "Slack URL")];
  // A URL read from a file is not echoed: it may be a secret.
  webhooks.forEach((url, i) => checkUrl(url, `webhook URL #${i + 1}`, problems));
  slack.forEach((url, i) => checkUrl(url, `Slack URL #${i + 1}`, problems));
  const events = parseEvents(sources.events ?? "all", problems);
  const waitAfterMs =
    sources.waitAfter === undefined ? DEFAULT_WAIT_AFTER_MS : parseDuration(sources.waitAfter.trim());
  if (waitAfterMs === undefined || waitAfterMs < 1_000)
    problems.push(
      `the long-wait threshold ${JSON.stringify(sources.waitAfter)} is not a duration of 1s or more, e.g. 10m`,
    );
  if (problems.length > 0) throw new NotifyConfigError(problems);
  return {
    webhooks,
    slack,
    events,
    waitAfterMs: waitAfterMs ?? DEFAULT_WAIT_AFTER_MS,
    policy: DEFAULT_DELIVERY_POLICY,
  };
}

/** The items of a comma-separated list, trimmed, empty ones skipped. */
export function splitList(text: string): string[] {
  return text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** Whether the settings name any target. */
export function notifiesAnywhere(settings: NotifySettings): boolean {
  return settings.events.length > 0 && settings.webhooks.length + settings.slack.length > 0;
}

function urlLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

function checkUrl(url: string, what: string, problems: string[]): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:"))
    problems.push(`${what} is not an http(s) URL`);
}

function parseEvents(text: string, problems: string[]): NotificationKind[] {
  const t = text.trim();
  if (t === "all") return [...NOTIFICATION_KINDS];
  if (t === "none") return [];
  const names = t.split(",").map((n) => n.trim());
  const bad = names.filter((n) => !(NOTIFICATION_KINDS as readonly string[]).includes(n));
  if (bad.length > 0)
    problems.push(
      `the events ${bad.map((n) => JSON.stringify(n)).join(", ")} are not among ${NOTIFICATION_KINDS.join(", ")} (or all, none)`,
    );
  return [...new Set(names.filter((n): n is NotificationKind => !bad.includes(n)))];
}
