// What the Slack app's front thread (slack/front-thread.ts) and its main thread
// (slack/receiver.ts) tell each other. Plain data only: it crosses the thread boundary by copy.
import type { SlackAckKind } from '../observability/labels';

/** What the front thread is started with (its `workerData`). */
export interface FrontThreadData {
  /** The module the thread runs (slack/front-thread). */
  entry: string;
  /** The TypeScript compiler's path when `entry` is a source file (tests); see config/thread-code. */
  typescript?: string;
  signingSecret: string;
  /** 0 picks a free port. */
  port: number;
  /** Where Slack posts commands, interactions and events. */
  path: string;
}

/** Front thread → main thread. */
export type FromFront =
  /** The server is listening on 127.0.0.1:`port`. */
  | { type: 'listening'; port: number }
  /** The server could not start (the port is in use, say). */
  | { type: 'failed'; message: string }
  /**
   * A signed, well-formed request for Bolt. `acked`: the front answered it already (a click on
   * one of Ladder's buttons, whose ack carries nothing), so Bolt's ack is only noted; otherwise
   * the front waits for an {@link ToFront} `answer` with this `id`.
   */
  | {
      type: 'request';
      id: number;
      body: Record<string, unknown>;
      acked: boolean;
      retryNum?: number;
      retryReason?: string;
    }
  /** A request's answer went out after `seconds` (arrival → answer sent). */
  | { type: 'answered'; kind: SlackAckKind; seconds: number }
  /** A line for the app's log (refusals and the like). */
  | { type: 'log'; level: 'warn' | 'error'; fields: Record<string, unknown>; message: string }
  /** The drain asked for finished; `cut` requests were still unanswered at its deadline. */
  | { type: 'drained'; cut: number };

/** Main thread → front thread. */
export type ToFront =
  /**
   * Bolt's answer to request `id`: 200 with `text` (and `json` when it is JSON), or a refusal
   * with its status and reason.
   */
  | { type: 'answer'; id: number; status: 200; text?: string; json?: boolean }
  | { type: 'answer'; id: number; status: 404 | 500; reason: string }
  /** Stop taking connections and let the requests in flight finish for up to `graceMs`. */
  | { type: 'drain'; graceMs: number };
