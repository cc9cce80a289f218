/**
 * The cluster controller's `--notify-*` options resolved into notification settings: each
 * is a comma-separated list (a URL holding a comma goes in a file). URLs read from files, or
 * from TRANQUIL_NOTIFY_SLACK, are never echoed in a problem: they may be secrets.
 */
import {
  NotifyConfigError,
  resolveNotifySettings,
  splitList,
  type NotifySettings,
} from "../../notify/notify-config.js";
import type { ControllerInput } from "./config-schema.js";
import type { ConfigProblem } from "./config-problems.js";

/** How a problem names the options (one problem may come from several, e.g. two files). */
const NOTIFY_OPTIONS_LABEL = "--notify-* (TRANQUIL_NOTIFY_*)";

/** The settings, or undefined after pushing what is wrong with them. */
export function notifySettingsOf(
  input: ControllerInput,
  problems: ConfigProblem[],
): NotifySettings | undefined {
  const list = (text: string | undefined): string[] | undefined =>
    text === undefined ? undefined : splitList(text);
  try {
    return resolveNotifySettings({
      ...optional("webhooks", list(input.notifyWebhook)),
      ...optional("webhookFiles", list(input.notifyWebhookFile)),
      ...optional("slack", list(input.notifySlack)),
      ...optional("slackFiles", list(input.notifySlackFile)),
      ...optional("events", input.notifyEvents),
      ...optional("waitAfter", input.notifyWaitAfter),
    });
  } catch (err) {
    if (!(err instanceof NotifyConfigError)) throw err;
    for (const message of err.problems) problems.push({ option: NOTIFY_OPTIONS_LABEL, message });
    return undefined;
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
