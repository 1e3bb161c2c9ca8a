import { spawn } from 'node:child_process';
import type { EmulatedMessage } from '../../slack/emulator/workspace';
import type { SlackEmulator } from '../../slack/emulator/server';
import { parseButtonValue } from '../../slack/blocks/task-message';
import { BUILT } from './paths';

/** How an answer went: accepted with the workflow's receipt, or not (refused, or not delivered). */
export type AnswerOutcome =
  { ok: true; by: string; at: string } | { ok: false; reason: string; messageMissing?: boolean };

/** Limits how many of something run at once (CLI processes are costly on a 2-core machine). */
export class Gate {
  private running = 0;
  private readonly queue: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  /** Runs `work` once fewer than the limit are running; its result or error passes through. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((r) => this.queue.push(r));
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }
}

/** What one `ladder` CLI run printed and how it exited. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs the built `ladder` CLI with the stack's environment, killing it after `timeoutMs`.
 * Never throws: a failure to start or a timeout comes back as a non-zero code.
 */
export function runLadder(env: NodeJS.ProcessEnv, args: string[], timeoutMs = 90_000): Promise<CliRun> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BUILT.cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const timer = setTimeout(() => {
      err += `\n(killed after ${timeoutMs / 1000}s)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      done({ code: -1, out, err: `${err}${e.message}` });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code: code ?? -1, out, err });
    });
  });
}

/**
 * `ladder respond <workflowId> <answer> --as <by>`, signed with `by`'s local operator key exactly
 * as an operator would answer; the receipt is what the CLI prints when the workflow accepted it.
 */
export async function respondWithCli(
  env: NodeJS.ProcessEnv,
  gate: Gate,
  workflowId: string,
  answer: string,
  by: string,
  extra: { typed?: string; reason?: string; question?: string } = {},
): Promise<AnswerOutcome> {
  const args = ['respond', workflowId, answer, '--as', by];
  if (extra.question !== undefined) args.push('--question', extra.question);
  if (extra.typed !== undefined) args.push('--typed', extra.typed);
  if (extra.reason !== undefined) args.push('--reason', extra.reason);
  const run = await gate.run(() => runLadder(env, args));
  const accepted = /^Accepted: \S+ by (\S+) at (\S+)\.$/m.exec(run.out);
  if (run.code === 0 && accepted) return { ok: true, by: accepted[1], at: accepted[2] };
  return {
    ok: false,
    reason: `ladder respond exited ${run.code}: ${(run.err || run.out).trim().slice(0, 300)}`,
  };
}

/** The Slack button (action id) for each answer a task message offers. */
export const BUTTON_FOR: Record<string, string> = {
  approve: 'ladder_approve',
  done: 'ladder_done',
  dismiss: 'ladder_dismiss',
  accept: 'ladder_accept',
  read: 'ladder_mark_read',
};

/** The channel message carrying `actionId` for `workflowId`, if it is there (not ephemeral ones). */
export function findButtonMessage(
  emulator: SlackEmulator,
  channel: string,
  workflowId: string,
  actionId: string,
): EmulatedMessage | undefined {
  return emulator
    .messages(channel)
    .find(
      (m) =>
        m.ephemeralTo === undefined &&
        (
          m.blocks as { type?: string; elements?: { type?: string; action_id?: string; value?: string }[] }[]
        ).some(
          (b) =>
            b.type === 'actions' &&
            (b.elements ?? []).some(
              (e) =>
                e.type === 'button' &&
                e.action_id === actionId &&
                typeof e.value === 'string' &&
                parseButtonValue(e.value)?.workflowId === workflowId,
            ),
        ),
    );
}

/**
 * Clicks answers in the Slack emulator as people do, and reads the app's ephemeral reply as the
 * receipt. One click per person and channel at a time, so each reply belongs to one click.
 */
export class SlackClicker {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly emulator: SlackEmulator,
    private readonly replyTimeoutMs = 90_000,
  ) {}

  /**
   * Clicks `answer`'s button on the task's message in `channel` as `by`.
   *
   * @returns the receipt from "Recorded: … at <time> on <task>.", or why not (the message is not there yet,
   *   the app refused, or it could not record the answer).
   */
  async click(channel: string, workflowId: string, answer: string, by: string): Promise<AnswerOutcome> {
    const actionId = BUTTON_FOR[answer];
    if (!actionId) return { ok: false, reason: `no Slack button for "${answer}"` };
    const lockKey = `${by} ${channel}`;
    const previous = this.locks.get(lockKey) ?? Promise.resolve();
    const mine = previous.then(() => this.clickNow(channel, workflowId, actionId, by));
    this.locks.set(
      lockKey,
      mine.catch(() => undefined),
    );
    return mine;
  }

  private async clickNow(
    channel: string,
    workflowId: string,
    actionId: string,
    by: string,
  ): Promise<AnswerOutcome> {
    const message = findButtonMessage(this.emulator, channel, workflowId, actionId);
    if (!message)
      return {
        ok: false,
        reason: `no message with ${actionId} for ${workflowId} in ${channel}`,
        messageMissing: true,
      };
    const channelId = this.emulator.channelId(channel);
    const replies = (): EmulatedMessage[] =>
      this.emulator.messages(channelId).filter((m) => m.ephemeralTo === by);
    const before = replies().length;
    try {
      const delivered = await this.emulator.click(by, channelId, message.ts, actionId);
      if (delivered.error) return { ok: false, reason: `the app did not take the click: ${delivered.error}` };
    } catch (err) {
      return { ok: false, reason: `click refused by the emulator: ${(err as Error).message}` };
    }
    const deadline = Date.now() + this.replyTimeoutMs;
    // The first new reply about this task: a late "Recorded" of an earlier click of the same person
    // names its own task and is skipped, never taken for this one.
    for (let seen = before; ;) {
      while (replies().length === seen) {
        if (Date.now() > deadline)
          return { ok: false, reason: `no reply from the app within ${this.replyTimeoutMs / 1000}s` };
        await new Promise((r) => setTimeout(r, 100));
      }
      const reply = replies()[seen].text;
      seen++;
      const recorded = /^Recorded: \S+ by <@([UW][A-Z0-9]+)> at (\S+) on (\S+)\.$/.exec(reply);
      if (recorded && recorded[3] !== workflowId) continue;
      if (recorded) return { ok: true, by: recorded[1], at: recorded[2] };
      return { ok: false, reason: reply.slice(0, 300) };
    }
  }
}
