/** What bench:tasks asks its emulator process over IPC; every request carries an id its reply echoes. */
export type EmulatorRequest =
  | { type: 'calls'; id: number }
  | { type: 'connect-app'; id: number; url: string; signingSecret: string; timeoutMs: number }
  /** The buttons reading `text` on the messages of `channel` (a `#name`). */
  | { type: 'buttons'; id: number; channel: string; text: string }
  /** Clicks button `actionId` on message `ts` as `user`, as the emulator's page does. */
  | { type: 'click'; id: number; user: string; channel: string; ts: string; actionId: string };

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
  /** `ackMs`: from sending the signed request to the app's answer (Slack's 3-second clock). */
  | { type: 'clicked'; id: number; status: number; error?: string; ackMs: number };
