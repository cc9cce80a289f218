/**
 * The bodies Tranquil posts: a flat JSON object for a generic webhook, and for a Slack
 * incoming webhook the shape Slack documents, a `text` fallback (what a phone notification
 * shows) with `blocks` (a mrkdwn section, then a context line) for the channel.
 */
import { NotificationKind, type Notification } from "./notification.js";

/** The generic webhook's body (docs/notifications.md). */
export interface WebhookPayload {
  readonly source: "tranquil";
  readonly kind: NotificationKind;
  readonly upgrade: string;
  readonly namespace: string;
  readonly phase: string;
  readonly previousPhase?: string;
  readonly severity: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
  /** RFC 3339, UTC. */
  readonly time: string;
  /** For a long wait: how long it has waited so far (whole seconds). */
  readonly waitedSeconds?: number;
}

/** The generic webhook's body for a notification. */
export function webhookPayload(n: Notification): WebhookPayload {
  return {
    source: "tranquil",
    kind: n.kind,
    upgrade: n.upgrade,
    namespace: n.namespace,
    phase: n.phase,
    ...(n.previousPhase !== undefined ? { previousPhase: n.previousPhase } : {}),
    severity: n.severity,
    reason: n.reason,
    message: n.message,
    time: new Date(n.at).toISOString(),
    ...(n.waitedMs !== undefined ? { waitedSeconds: Math.floor(n.waitedMs / 1000) } : {}),
  };
}

/** A Slack mrkdwn text object. */
interface Mrkdwn {
  readonly type: "mrkdwn";
  readonly text: string;
}

/** A Slack incoming webhook's body: the fallback text and the blocks. */
export interface SlackPayload {
  readonly text: string;
  readonly blocks: readonly [
    { readonly type: "section"; readonly text: Mrkdwn },
    { readonly type: "context"; readonly elements: readonly [Mrkdwn] },
  ];
}

/** Slack caps a section's text at 3,000 characters. */
export const SLACK_SECTION_LIMIT = 3000;

/** The Slack body for a notification. */
export function slackPayload(n: Notification): SlackPayload {
  const name = `${n.namespace}/${n.upgrade}`;
  const headline = `${headlineOf(n)} ${name}`;
  const section = `${n.severity === "Warning" ? ":warning:" : ":white_check_mark:"} *${escapeSlack(headlineOf(n))}* \`${escapeSlack(name)}\`\n${escapeSlack(n.message)}`;
  const context = [
    `phase *${escapeSlack(n.phase)}*`,
    ...(n.previousPhase !== undefined ? [`from ${escapeSlack(n.previousPhase)}`] : []),
    `reason ${escapeSlack(n.reason)}`,
    new Date(n.at).toISOString(),
  ].join(" · ");
  return {
    text: escapeSlack(`${headline}: ${n.message}`),
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: truncate(section, SLACK_SECTION_LIMIT) } },
      { type: "context", elements: [{ type: "mrkdwn", text: context }] },
    ],
  };
}

function headlineOf(n: Notification): string {
  switch (n.kind) {
    case NotificationKind.Abort:
      return n.phase === "RolledBack" ? "Aborted upgrade rolled back:" : "Upgrade aborted, rolling back:";
    case NotificationKind.Rollback:
      return n.phase === "RolledBack" ? "Upgrade rolled back:" : "Upgrade rolling back:";
    case NotificationKind.Wait:
      return `Upgrade waiting for ${minutes(n.waitedMs ?? 0)}:`;
    case NotificationKind.Phase:
      return `Upgrade ${n.phase}:`;
  }
}

function minutes(ms: number): string {
  const m = Math.floor(ms / 60_000);
  return m >= 1 ? `${m} min` : `${Math.floor(ms / 1000)} s`;
}

/** Slack reads `&`, `<` and `>` as markup (`<!channel>` notifies everyone): they are escaped. */
export function escapeSlack(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
