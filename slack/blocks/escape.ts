/**
 * Escaping for what agents (and other people) write, where Slack shows it.
 *
 * In Slack's mrkdwn (and a message's top-level `text`), `<…>` is a control sequence: `<!channel>`
 * pings everyone, `<@U…>` mentions a person, `<http://x|label>` is a link with any label. Anything
 * an agent wrote (title, step descriptions, params, reasons, error text) must therefore reach Slack
 * with `&`, `<` and `>` as the entities `&amp;`, `&lt;`, `&gt;` (the only three Slack decodes), so
 * it shows as the characters it is and controls nothing. Ladder's own links and mentions are added
 * around the escaped text, never inside it. Pure.
 */

import { isSlackUserId } from '../../policy/slack-ids';

/** C0 and C1 control characters (and DEL), except tab and newline. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/** Removes C0/C1 control characters (NUL, ESC, CR, …); keeps newline and tab. */
export function stripControl(text: string): string {
  return text.replace(CONTROL, '');
}

/** `text` as inert mrkdwn: no control characters, `&`, `<`, `>` as entities. */
export function escapeMrkdwn(text: string): string {
  return stripControl(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** A Slack user mention, only for an id that looks like one (policy ids, verified clicks). */
export function mention(userId: string): string {
  return isSlackUserId(userId) ? `<@${userId}>` : escapeMrkdwn(userId);
}

/** A Slack link `<url|label>` for a URL Ladder made; the label is escaped. */
export function link(url: string, label: string): string {
  if (!/^https?:\/\/[^\s<>|]+$/.test(url)) return escapeMrkdwn(label);
  return `<${url}|${escapeMrkdwn(label)}>`;
}
