// Transport only: the Bolt side of Slack's HTTP requests. The socket, the signature check, body
// parsing and the ack of a click live in the front thread (slack/front-thread.ts); this receiver
// hands what the front passes on to Bolt and sends Bolt's answers back. What requests mean is the
// listeners' business (slack/listeners/), so the same logic runs behind Socket Mode too.
import { Worker } from 'node:worker_threads';
import { ReceiverMultipleAckError, type App, type Receiver, type ReceiverEvent } from '@slack/bolt';
import type { Logger } from '../config/logger';
import { MODULE_THREAD_CODE, typescriptFor } from '../config/thread-code';
import type { SlackAckKind } from '../observability/labels';
import { FRONTEND_DRAIN_MS } from '../observability/readiness';
import type { FromFront, FrontThreadData, ToFront } from './front-messages';

/** How long Bolt has to acknowledge a request before it is answered 404 (Slack gives up at 3 s). */
const UNHANDLED_REQUEST_MS = 3001;

export interface SlackHttpReceiverOptions {
  signingSecret: string;
  /** 0 picks a free port. */
  port: number;
  /** Where Slack posts commands, interactions and events. */
  path?: string;
  logger: Logger;
  /**
   * Told, for every signed and well-formed request, how long it took from arriving to its answer
   * being sent (the ack Slack waits 3 s for), in seconds, and what kind of request it was.
   */
  onAck?: (kind: SlackAckKind, seconds: number) => void;
  /**
   * Told when the front thread stops on its own (a crash): from then on no request is answered,
   * so a process should exit and be restarted. Logged as an error either way.
   */
  onFrontFailure?: (error: Error) => void;
}

/** A request the front passed on, as the main thread receives it. */
type FrontRequest = Extract<FromFront, { type: 'request' }>;

/**
 * Bolt receiver over node:http, served from a thread of its own so that acks do not wait for the
 * main thread's event loop. Every request is verified with `verifySlackSignature` (stale *and*
 * future timestamps refused, unlike Bolt's own check) before Bolt sees it. It binds to
 * 127.0.0.1: in production a reverse proxy or tunnel forwards Slack's requests to it.
 */
export class SlackHttpReceiver implements Receiver {
  private app: App | undefined;
  private thread: Worker | undefined;
  private draining = false;
  /** Requests Bolt is still processing, so a drain lets them finish. */
  private readonly processing = new Set<Promise<void>>();
  private readonly path: string;
  private onDrained: ((cut: number) => void) | undefined;

  constructor(private readonly options: SlackHttpReceiverOptions) {
    this.path = options.path ?? '/slack/events';
  }

  init(app: App): void {
    this.app = app;
  }

  /** Listens on 127.0.0.1; resolves with the URL Slack (or the emulator) should post to. */
  async start(): Promise<{ url: string; port: number }> {
    const entry = require.resolve('./front-thread');
    const typescript = typescriptFor(entry);
    const data: FrontThreadData = {
      entry,
      ...(typescript ? { typescript } : {}),
      signingSecret: this.options.signingSecret,
      port: this.options.port,
      path: this.path,
    };
    const thread = new Worker(MODULE_THREAD_CODE, { eval: true, workerData: data });
    this.thread = thread;
    this.draining = false;
    const port = await new Promise<number>((resolve, reject) => {
      const onExit = (code: number): void =>
        reject(new Error(`the Slack front thread exited (code ${code}) before listening`));
      thread.once('error', reject);
      thread.once('exit', onExit);
      const onMessage = (message: FromFront): void => {
        if (message.type !== 'listening' && message.type !== 'failed') return;
        thread.off('message', onMessage);
        thread.off('error', reject);
        thread.off('exit', onExit);
        if (message.type === 'failed')
          reject(new Error(`the Slack receiver cannot listen: ${message.message}`));
        else resolve(message.port);
      };
      thread.on('message', onMessage);
    }).catch(async (err: unknown) => {
      this.thread = undefined;
      await thread.terminate();
      throw err;
    });
    thread.on('message', (message: FromFront) => this.onFrontMessage(message));
    let failure: Error | undefined;
    thread.on('error', (err) => (failure = err));
    thread.once('exit', (code) => {
      // A drain still waiting has nothing left to wait for.
      this.onDrained?.(0);
      if (this.thread !== thread) return; // stopped on purpose
      this.thread = undefined;
      const error = failure ?? new Error(`the Slack front thread exited (code ${code})`);
      this.options.logger.error(
        { err: error.message },
        'the Slack front thread stopped; requests go unanswered',
      );
      this.options.onFrontFailure?.(error);
    });
    return { url: `http://127.0.0.1:${port}${this.path}`, port };
  }

  /** True once `stop` was called and until the next `start`: requests in flight are finishing. */
  isDraining(): boolean {
    return this.draining;
  }

  /**
   * Stops gracefully: refuses new connections, lets requests in flight (a click waiting for its
   * ack, a listener still answering) finish for up to `graceMs` (default {@link FRONTEND_DRAIN_MS};
   * Slack retries what is cut), then closes the connections left and the front thread.
   */
  async stop(graceMs: number = FRONTEND_DRAIN_MS): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    if (!thread) return;
    this.draining = true;
    const deadline = Date.now() + graceMs;
    const drained = new Promise<number>((resolve) => (this.onDrained = resolve));
    this.post(thread, { type: 'drain', graceMs });
    const cut = await drained;
    this.onDrained = undefined;
    // Clicks acknowledged at the front may still be running in Bolt: they finish within the grace too.
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      Promise.all(this.processing).then(() => false),
      new Promise<boolean>(
        (resolve) => (timer = setTimeout(() => resolve(true), Math.max(0, deadline - Date.now()))),
      ),
    ]);
    clearTimeout(timer);
    await thread.terminate();
    if (cut > 0 || late)
      this.options.logger.warn(
        { cut, stillProcessing: late ? this.processing.size : 0, graceMs },
        'slack requests still running at the drain deadline were cut',
      );
  }

  private post(thread: Worker, message: ToFront): void {
    thread.postMessage(message);
  }

  private onFrontMessage(message: FromFront): void {
    const log = this.options.logger;
    switch (message.type) {
      case 'request': {
        const processing = this.process(message).finally(() => this.processing.delete(processing));
        this.processing.add(processing);
        return;
      }
      case 'answered':
        return this.options.onAck?.(message.kind, message.seconds);
      case 'log':
        return message.level === 'warn'
          ? log.warn(message.fields, message.message)
          : log.error(message.fields, message.message);
      case 'drained':
        return this.onDrained?.(message.cut);
      default:
        return;
    }
  }

  /** Runs one request through Bolt and sends its answer to the front (unless the front acked it). */
  private async process(request: FrontRequest): Promise<void> {
    const log = this.options.logger;
    const thread = this.thread;
    let answered = request.acked;
    let acked = false;
    const answer = (message: ToFront): void => {
      if (answered) return;
      answered = true;
      if (thread) this.post(thread, message);
    };
    const timer = setTimeout(
      () => answer({ type: 'answer', id: request.id, status: 404, reason: 'no listener acknowledged' }),
      UNHANDLED_REQUEST_MS,
    );
    const event: ReceiverEvent = {
      body: request.body,
      // As Bolt's HTTPResponseAck: nothing, a text, or an object sent as JSON; once only.
      ack: async (response?: unknown) => {
        if (acked) throw new ReceiverMultipleAckError();
        acked = true;
        clearTimeout(timer);
        if (!response) answer({ type: 'answer', id: request.id, status: 200 });
        else if (typeof response === 'string')
          answer({ type: 'answer', id: request.id, status: 200, text: response });
        else
          answer({ type: 'answer', id: request.id, status: 200, text: JSON.stringify(response), json: true });
      },
      retryNum: request.retryNum,
      retryReason: request.retryReason,
    };
    try {
      await this.app!.processEvent(event);
    } catch (err) {
      // A listener that throws must not leave Slack waiting: answer if nothing was sent yet.
      log.error({ err: (err as Error).message, type: request.body.type }, 'slack listener failed');
      answer({ type: 'answer', id: request.id, status: 500, reason: 'a listener failed' });
      return;
    } finally {
      clearTimeout(timer);
    }
    if (acked) return;
    // Every listener has finished and none acknowledged (no listener for this request): say so
    // now rather than after the 3-second timer.
    const reason = `no listener for this ${String(request.body.type ?? 'request')}`;
    if (request.acked) log.warn({ type: request.body.type }, reason);
    else answer({ type: 'answer', id: request.id, status: 404, reason });
  }
}
