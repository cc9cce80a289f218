/**
 * The notification flags of the local controller (`npm start`, `tranquil demo`), the same
 * names as the cluster controller's (docs/notifications.md): each URL flag may be repeated, and each value may list several, comma-separated.
 */
import { type Command, InvalidArgumentError } from "commander";
import {
  NotifyConfigError,
  notifiesAnywhere,
  resolveNotifySettings,
  splitList,
  type NotifySettings,
} from "../../notify/notify-config.js";

/** The flags as commander parses them. */
export interface NotifyFlags {
  readonly notifyWebhook?: string[];
  readonly notifyWebhookFile?: string[];
  readonly notifySlack?: string[];
  readonly notifySlackFile?: string[];
  readonly notifyEvents?: string;
  readonly notifyWaitAfter?: string;
}

/** A flag given again adds to the list; one value may also list several, comma-separated. */
const repeat = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  ...splitList(value),
];

/** Adds the notification flags to a command. */
export function addNotifyOptions(command: Command): Command {
  return command
    .option("--notify-webhook <url>", "POST each notification as JSON to this URL (repeatable)", repeat)
    .option(
      "--notify-webhook-file <path>",
      "read webhook URLs from this file, one a line (repeatable)",
      repeat,
    )
    .option(
      "--notify-slack <url>",
      "post each notification to this Slack incoming webhook (repeatable)",
      repeat,
    )
    .option(
      "--notify-slack-file <path>",
      "read Slack incoming-webhook URLs from this file, one a line (repeatable)",
      repeat,
    )
    .option(
      "--notify-events <kinds>",
      "which notifications: all (default), none, or some of phase,rollback,abort,wait",
    )
    .option("--notify-wait-after <duration>", "a wait this long is notified, e.g. 10m (the default)");
}

/** The settings the flags give, or undefined when they name no target; bad flags throw a usage error. */
export function notifySettingsOf(flags: NotifyFlags): NotifySettings | undefined {
  try {
    const settings = resolveNotifySettings({
      ...(flags.notifyWebhook !== undefined ? { webhooks: flags.notifyWebhook } : {}),
      ...(flags.notifyWebhookFile !== undefined ? { webhookFiles: flags.notifyWebhookFile } : {}),
      ...(flags.notifySlack !== undefined ? { slack: flags.notifySlack } : {}),
      ...(flags.notifySlackFile !== undefined ? { slackFiles: flags.notifySlackFile } : {}),
      ...(flags.notifyEvents !== undefined ? { events: flags.notifyEvents } : {}),
      ...(flags.notifyWaitAfter !== undefined ? { waitAfter: flags.notifyWaitAfter } : {}),
    });
    return notifiesAnywhere(settings) ? settings : undefined;
  } catch (err) {
    if (err instanceof NotifyConfigError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}
