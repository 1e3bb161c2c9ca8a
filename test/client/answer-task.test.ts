import { randomUUID } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import {
  Client,
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  ServiceError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import {
  AnswerOutcomeUnknownError,
  answerTask,
  isUnreachable,
  type AnswerResult,
} from '../../client/answer-task';
import { frontendSigner } from '../helpers/answers';
import { appendStep, submit, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';

/** What the client's gRPC stack throws when the server cannot be reached. */
function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
}

describe('isUnreachable', () => {
  it('takes an unavailable server, a deadline and an overloaded server for "not reached"', () => {
    for (const code of [14, 4, 8])
      expect(isUnreachable(new ServiceError('Workflow Update failed', { cause: grpcError(code, 'x') }))).toBe(
        true,
      );
    expect(isUnreachable(grpcError(14, 'No connection established'))).toBe(true);
  });

  it('never takes an answer from Temporal for one: refusals, unknown tasks, cancellations, bad requests', () => {
    expect(isUnreachable(new WorkflowUpdateFailedError('refused', new Error('not yours')))).toBe(false);
    expect(isUnreachable(new WorkflowNotFoundError('gone', 'task/x', undefined))).toBe(false);
    expect(
      isUnreachable(new ServiceError('Workflow Update failed', { cause: grpcError(1, 'cancelled') })),
    ).toBe(false);
    expect(isUnreachable(new ServiceError('bad', { cause: grpcError(3, 'invalid argument') }))).toBe(false);
    expect(isUnreachable(new Error('14 UNAVAILABLE'))).toBe(false);
  });
});

/**
 * A TCP relay in front of the dev server that can be taken down (new connections are cut at once,
 * open ones dropped) and brought back, as a restart or a network cut looks to the client; or
 * stalled (connections stay open, nothing goes through either way), as a frozen server looks.
 */
class Relay {
  private server!: Server;
  private readonly open = new Set<Socket>();
  down = false;
  /** While set, bytes are swallowed in both directions and no connection is closed. */
  stalled = false;
  /** Connections cut while down. */
  refused = 0;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      if (this.down) {
        this.refused++;
        client.destroy();
        return;
      }
      const upstream = createConnection(this.target);
      for (const s of [client, upstream]) {
        this.open.add(s);
        s.on('close', () => this.open.delete(s));
        s.on('error', () => undefined);
      }
      const forward = (from: Socket, to: Socket): void => {
        from.on('data', (chunk: Buffer) => {
          if (!this.stalled) to.write(chunk);
        });
        from.on('end', () => to.end());
      };
      forward(client, upstream);
      forward(upstream, client);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  cut(): void {
    this.down = true;
    for (const s of this.open) s.destroy();
  }

  /** Ends a stall: the connections that lost bytes are dropped, so the client starts afresh. */
  unstall(): void {
    this.stalled = false;
    for (const s of this.open) s.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('answerTask when Temporal is out of reach (real dev server and worker)', () => {
  let stack: TestStack;
  let relay: Relay;
  let relayed: Connection;
  let viaRelay: Client;

  beforeAll(async () => {
    stack = await startTestStack('answer-delivery', { policy: workflowTestPolicy() });
    const [host, port] = stack.address.split(':');
    relay = new Relay({ host, port: Number(port) });
    await relay.start();
    // The SDK's own retries give up after one more try, so what is left is answerTask's.
    relayed = await Connection.connect({
      address: `127.0.0.1:${relay.port}`,
      interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 2 }))],
    });
    viaRelay = new Client({ connection: relayed, namespace: 'default' });
  });
  afterAll(async () => {
    await relayed?.close();
    await relay?.close();
    await stack?.stop();
  });

  const updatesAccepted = async (workflowId: string): Promise<number> => {
    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
  };

  /** U0APPR002's approval, through the relay (or `via`), with `budgetMs` to deliver it. */
  const approveViaRelay = (
    workflowId: string,
    stepsHash: string,
    budgetMs: number,
    via: Client = viaRelay,
  ): Promise<AnswerResult> =>
    answerTask(via, workflowId, 'U0APPR002', { kind: 'approve', stepsHash }, frontendSigner(), undefined, {
      budgetMs,
    });

  it('gives an answer sent again under its update id the first receipt, also once the task has closed', async () => {
    const { handle, workflowId } = await submit(stack, taskRequest('a0', 'ops', [appendStep('resend')]));
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    const updateId = randomUUID();
    const dismiss = (id: string): Promise<AnswerResult> =>
      answerTask(stack.client, workflowId, 'U0APPR001', { kind: 'dismiss' }, frontendSigner(), undefined, {
        budgetMs: 60_000,
        updateId: id,
      });
    const first = await dismiss(updateId);
    expect(first.ok).toBe(true);
    expect(((await handle.result()) as { outcome: string }).outcome).toBe('suggestion-dismissed');

    // As a try whose reply was lost would be sent again: the same id finds the recorded answer.
    expect(await dismiss(updateId)).toEqual(first);
    // A new answer is a new question to a closed task.
    expect(await dismiss(randomUUID())).toEqual({ ok: false, reason: 'task already finished' });
    expect(await updatesAccepted(workflowId)).toBe(1);
  });

  it('keeps sending while Temporal cannot be reached, and the task takes the answer once', async () => {
    const { handle, workflowId } = await submit(stack, taskRequest('a2', 'ops', [appendStep('through-cut')]));
    const { stepsHash } = await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    relay.cut();
    const answered = approveViaRelay(workflowId, stepsHash, 60_000);
    // Tried, refused at the door, and tried again: then Temporal is back.
    const refusedBefore = relay.refused;
    await waitUntil(() => relay.refused >= refusedBefore + 3, 30_000);
    relay.down = false;
    const result = await answered;
    expect(result).toMatchObject({ ok: true, receipt: { by: 'U0APPR002' } });
    expect(((await handle.result()) as { outcome: string }).outcome).toBe('executed');
    expect(await updatesAccepted(workflowId)).toBe(1);
  });

  it('says the answer may or may not have been recorded when Temporal stays out of reach', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a2', 'ops', [appendStep('never-reached')]),
    );
    const { stepsHash } = await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    relay.cut();
    try {
      const failure = await approveViaRelay(workflowId, stepsHash, 1500).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(AnswerOutcomeUnknownError);
      expect((failure as Error).message).toMatch(
        new RegExp(
          `^got no confirmation from Temporal of the answer to ${workflowId} within 1.5 s \\(\\d+ tries; last: 14 UNAVAILABLE: .+\\); it may or may not have been recorded: \`ladder status ${workflowId}\``,
        ),
      );
    } finally {
      relay.down = false;
    }
    // Nothing reached the task: it still waits, and answers normally afterwards.
    expect((await waitForStatus(handle, () => true)).phase).toBe('awaiting-human');
    await handle.cancel();
  });

  it('gives up at the budget when Temporal takes the call and never answers (a frozen server)', async () => {
    const { handle, workflowId } = await submit(stack, taskRequest('a2', 'ops', [appendStep('frozen')]));
    const { stepsHash } = await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    // A connection of its own, known to be up: the shared one may still be backing off from a cut.
    const fresh = await Connection.connect({ address: `127.0.0.1:${relay.port}` });
    const viaFresh = new Client({ connection: fresh, namespace: 'default' });
    relay.stalled = true;
    const sentAt = Date.now();
    try {
      const failure = await approveViaRelay(workflowId, stepsHash, 1500, viaFresh).catch(
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(AnswerOutcomeUnknownError);
      expect((failure as Error).message).toMatch(
        new RegExp(
          `^got no confirmation from Temporal of the answer to ${workflowId} within 1.5 s \\(1 try; last: 4 DEADLINE_EXCEEDED: .+\\); it may or may not have been recorded`,
        ),
      );
      // Held by nothing but the budget (the connection's keepalive would take 45 s).
      expect(Date.now() - sentAt).toBeLessThan(10_000);
    } finally {
      relay.unstall();
    }
    // Its bytes were swallowed: the task still waits, and an answer through the relay now lands.
    expect((await waitForStatus(handle, () => true)).phase).toBe('awaiting-human');
    try {
      expect(await approveViaRelay(workflowId, stepsHash, 60_000, viaFresh)).toMatchObject({ ok: true });
    } finally {
      await fresh.close();
    }
    expect(((await handle.result()) as { outcome: string }).outcome).toBe('executed');
    expect(await updatesAccepted(workflowId)).toBe(1);
  });
});
