/** What bench:tasks asks its emulator process over IPC; every request carries an id its reply echoes. */
export type EmulatorRequest =
  | { type: 'calls'; id: number }
  | { type: 'connect-app'; id: number; url: string; signingSecret: string; timeoutMs: number }
  /** The buttons reading `text` on the messages of `channel` (a `#name`). */
  | { type: 'buttons'; id: number; channel: string; text: string }
  /**
   * Clicks button `actionId` on message `ts` as `user`, as the emulator's page does. With `awaitTold`,
   * the reply also waits (up to `timeoutMs`) for what the clicker sees once the app has recorded the
   * answer: the next ephemeral message to `user` whose text includes `textIncludes`.
   */
  | {
      type: 'click';
      id: number;
      user: string;
      channel: string;
      ts: string;
      actionId: string;
      awaitTold?: { textIncludes: string; timeoutMs: number };
    }
  /**
   * The messages, in every channel, whose Ladder notification key starts with `keyPrefix` and
   * ends with `keySuffix` (e.g. one batch's approval requests); `withTimes` lists when each was posted.
   */
  | { type: 'keyed'; id: number; keyPrefix: string; keySuffix: string; withTimes: boolean };

/** A message with a Ladder notification key, and when the emulator stored it (epoch ms). */
export interface KeyedPost {
  key: string;
  postedAtMs: number;
}

/** A button on a posted message, with the Ladder notification key of its message. */
export interface PostedButton {
  ts: string;
  key: string | null;
  actionId: string;
}

/** What the emulator process answers; `ready` comes first, unasked. */
export type EmulatorReply =
  | { type: 'ready'; url: string; rateLimits: 'on' | 'off' | 'not implemented' }
  | {
      type: 'calls';
      id: number;
      /** Web API calls served since start. */
      total: number;
      byMethod: Record<string, number>;
      /** Calls answered 429 since start. */
      rateLimited: number;
    }
  | { type: 'connected'; id: number }
  | { type: 'buttons'; id: number; buttons: PostedButton[] }
  /**
   * `ackMs`: from sending the signed request to the app's answer (Slack's 3-second clock);
   * `toldMs` (when `awaitTold` was asked and the message came): from sending it to the clicker's
   * ephemeral message; `toldError` when it did not come in time.
   */
  | {
      type: 'clicked';
      id: number;
      status: number;
      error?: string;
      ackMs: number;
      toldMs?: number;
      toldError?: string;
    }
  /** How many messages matched, when the last of them was posted (NaN for none), and each when asked. */
  | { type: 'keyed'; id: number; count: number; lastPostedAtMs: number; posts?: KeyedPost[] };
