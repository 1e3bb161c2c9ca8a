import type { AppEndpoint } from './deliver';

/** The variable listing the request URLs of several frontends of one app, comma-separated. */
export const APP_URLS_VARIABLE = 'LADDER_EMULATOR_APP_URLS';

/** Raised for a malformed `LADDER_EMULATOR_APP_URLS`; the message names the variable and the entry. */
export class AppUrlsError extends Error {}

/**
 * Reads `LADDER_EMULATOR_APP_URLS` (e.g. `http://127.0.0.1:3000/slack/events,http://127.0.0.1:3001/slack/events`):
 * the request URLs of the app's frontends, which the emulator delivers to in turn. All of them
 * verify the same signing secret, as the frontends of one Slack app do.
 *
 * @param signingSecret - the secret every delivery is signed with.
 * @param timeoutMs - how long each delivery waits for the ack, in milliseconds.
 * @returns the endpoints in the order listed, or undefined when the variable is unset or blank
 *   (the caller then connects its single app URL as before).
 * @throws {AppUrlsError} for an empty entry, a URL that does not parse, or one that is not http(s).
 */
export function appEndpointsFromEnv(
  env: NodeJS.ProcessEnv,
  signingSecret: string,
  timeoutMs: number,
): AppEndpoint[] | undefined {
  const raw = env[APP_URLS_VARIABLE];
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw.split(',').map((entry, index) => {
    const text = entry.trim();
    const where = `${APP_URLS_VARIABLE} entry ${index + 1}`;
    if (text === '')
      throw new AppUrlsError(
        `${where}: empty; expected comma-separated request URLs such as http://127.0.0.1:3000/slack/events`,
      );
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new AppUrlsError(
        `${where}: "${text}" is not a URL; expected e.g. http://127.0.0.1:3000/slack/events`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new AppUrlsError(`${where}: "${text}" is ${url.protocol.slice(0, -1)}, expected http or https`);
    return { url: url.toString(), signingSecret, timeoutMs };
  });
}
