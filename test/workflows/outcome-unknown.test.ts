import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { createActionRegistry } from '../../activities/actions/registry';
import { effectKeyOf } from '../../activities/actions/undo-journal';
import { startSlackWebApi, type SlackWebApiEmulator } from '../../slack/emulator/web-api';
import { submitTask } from '../../client/submit-task';
import { parsePolicy, type LoadedPolicy } from '../../policy/loader';
import {
  resolveOutcomeUpdate,
  statusQuery,
  type TaskResult,
  type TaskStatus,
} from '../../workflows/messages';
import { answerAs, operatorSignerOf } from '../helpers/answers';
import { runLadder } from '../helpers/cli';
import { anyProcessRunning, isAlive, type Spawned } from '../helpers/processes';
import { taskRequest, waitForStatus } from '../helpers/tasks';
import { testServerAddress } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';
import {
  makeWorkerDir,
  sandboxLines,
  startWorkerProcess,
  workerProcessEnv,
} from '../helpers/worker-processes';

// "No blind re-run of an effect": a worker SIGKILLed after an effect may have reached its
// destination. The retry must not repeat it unless the action makes that safe (a check, a host that
// honours Idempotency-Key); otherwise the task stops in `outcome-unknown` and a person decides.
const POLICY = resolve(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml');

interface Received {
  method: string;
  path: string;
  key: string | undefined;
}

describe('an effect whose outcome is unknown', () => {
  let client: Client;
  let base: string;
  let env: Record<string, string>;
  let slack: SlackWebApiEmulator;
  let policy: LoadedPolicy;
  let server: Server;
  let host: string;
  const received: Received[] = [];
  /** Requests to /hang are held open until the test lets them go (the worker dies meanwhile). */
  const held: ServerResponse[] = [];
  const workers: Spawned[] = [];

  const lines = (file: string): string[] => sandboxLines(base, file);
  const startWorker = (): Promise<Spawned> => startWorkerProcess(env, workers);
  const killWorker = async (worker: Spawned): Promise<void> => {
    worker.child.kill('SIGKILL');
    await worker.exited;
    await waitUntil(() => !isAlive(worker.child.pid!));
  };
  const submit = async (steps: Parameters<typeof taskRequest>[2], agent = 'a3'): Promise<WorkflowHandle> =>
    (
      await submitTask(client, taskRequest(agent, 'ops', steps), {
        taskQueue: env.LADDER_TASK_QUEUE,
        policy,
        actions: createActionRegistry(),
      })
    ).handle;
  const asked = (handle: WorkflowHandle): Promise<TaskStatus> =>
    waitForStatus(handle, (s) => s.phase === 'outcome-unknown', 90_000);

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      const path = req.url ?? '';
      received.push({ method: req.method ?? '', path, key: req.headers['idempotency-key'] as string });
      if (path.startsWith('/hang')) {
        held.push(res);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    host = `127.0.0.1:${port}`;
    slack = await startSlackWebApi();
    base = makeWorkerDir('unknown');
    // The fixture policy with this server's port in the host bound; `/dedup` paths are on a second
    // name for the same server that the policy declares to honour Idempotency-Key.
    const text = readFileSync(POLICY, 'utf8')
      .replace("hosts: ['127.0.0.1:4199']", `hosts: ['${host}', 'localhost:${port}']`)
      .replace(
        'promotion: {}',
        `promotion: {}\ndestinations:\n  'localhost:${port}': { honoursIdempotencyKey: true }`,
      )
      .replace(
        'keysFile: ../../../.temporal/keys/',
        `keysFile: ${resolve(__dirname, '..', '..')}/.temporal/keys/`,
      );
    const policyPath = join(base, 'policy.yaml');
    writeFileSync(policyPath, text);
    const parsed = parsePolicy(text, policyPath);
    if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join('\n'));
    policy = parsed.policy;
    env = workerProcessEnv({
      address: testServerAddress(),
      taskQueue: `unknown-${randomUUID().slice(0, 8)}`,
      policyPath,
      dir: base,
      slackApiUrl: slack.apiUrl,
      // No sticky cache: a workflow whose cached copy was on a SIGKILLed worker would otherwise wait
      // out the sticky queue's 10 s schedule-to-start timeout before any other worker gets it,
      // after every kill. Every workflow task replays instead; what survives a kill is unchanged.
      extra: { LADDER_WORKER_CACHED_WORKFLOWS: '0' },
    });
    client = new Client({ connection: await Connection.connect({ address: testServerAddress() }) });
  });
  // A queue of its own per test: the task and the agent's entity workflows (kill switch, ledger)
  // start fresh, never handed to the previous test's killed worker first.
  beforeEach(() => {
    env.LADDER_TASK_QUEUE = `unknown-${randomUUID().slice(0, 8)}`;
  });
  // A test that failed part-way must not leave its worker polling the queue for the next one.
  afterEach(async () => {
    for (const w of workers.splice(0)) if (w.child.exitCode === null) await killWorker(w);
  });
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    for (const res of held) res.destroy();
    await client?.connection.close();
    await slack?.close();
    await new Promise((r) => server?.close(r));
  });

  it('stops a shell step with no check, asks the owner, refuses wrong answers, and runs it again only when told', async () => {
    const first = await startWorker();
    const handle = await submit([
      {
        action: 'shell.exec',
        params: {
          command:
            'echo started >> marks.log; while [ ! -f go-a ]; do sleep 0.05; done; echo a >> effects.log',
        },
      },
    ]);
    await waitUntil(() => lines('marks.log').length === 1);
    await killWorker(first);
    // Only once the sandboxed shell has died with its worker: else it could still see the file.
    await waitUntil(() => !anyProcessRunning('while [ ! -f go-a ]'));
    writeFileSync(join(base, 'sandbox', 'go-a'), '');
    const worker = await startWorker();

    const status = await asked(handle);
    expect(status.outcomeUnknown).toMatchObject({
      id: 'q1',
      step: 0,
      stage: 'execute',
      action: 'shell.exec',
      answers: ['ran', 'run-again'],
    });
    expect(status.outcomeUnknown!.detail).toMatch(/never recorded how it ended.*no `verify` check/);
    expect(status.waitingOn).toMatch(/owner or an approver/);
    // Not run again on its own: one start, no effect.
    expect(lines('marks.log')).toEqual(['started']);
    expect(lines('effects.log')).toEqual([]);
    // The owner was told, with the three facts and the answer buttons (no undo: none declared).
    await waitUntil(() =>
      slack
        .messages(slack.dmWith('U0OWNER01'))
        .some(
          (m) =>
            JSON.stringify(m).includes('ladder_outcome_run_again') &&
            !JSON.stringify(m).includes('ladder_outcome_undo'),
        ),
    );

    // `--wait` does not hang on a question only a person can answer: exit 7 with the question.
    const waited = await runLadder(env, 'status', handle.workflowId, '--wait');
    expect(waited.code).toBe(7);
    expect(waited.out).toMatch(/OUTCOME UNKNOWN \(question q1.*step 1 \(shell\.exec\)/);
    expect(waited.out).toContain(`ladder respond ${handle.workflowId} ran|run-again --question q1`);

    // Refused: someone who is neither owner nor approver; a stale question; an answer not offered.
    const refusal = (args: { by: string; question: string; answer: 'ran' | 'run-again' | 'undo' }) =>
      answerAs(handle, resolveOutcomeUpdate, args).then(
        () => 'accepted',
        (e: Error & { cause?: Error }) => String(e.cause?.message),
      );
    expect(await refusal({ by: 'U0ESCAL01', question: 'q1', answer: 'ran' })).toMatch(
      /neither the agent's owner \(U0OWNER01\) nor an approver/,
    );
    expect(await refusal({ by: 'U0OWNER01', question: 'q0', answer: 'ran' })).toMatch(/asks question q1/);
    expect(await refusal({ by: 'U0OWNER01', question: 'q1', answer: 'undo' })).toMatch(
      /not an answer to this question \(expected ran, run-again\)/,
    );
    expect(lines('marks.log')).toEqual(['started']);

    // The owner checked: effects.log has no `a`, so it did not happen. Answered from the CLI,
    // signed with the owner's own key.
    // Without the question id the CLI refuses: it never answers whatever question is open now.
    const unnamed = await runLadder(env, 'respond', handle.workflowId, 'run-again', '--as', 'U0OWNER01');
    expect(unnamed.code).toBe(1);
    expect(unnamed.err).toMatch(/run-again needs --question <id>.*the task asks q1 now/);
    const answered = await runLadder(
      env,
      'respond',
      handle.workflowId,
      'run-again',
      '--question',
      'q1',
      '--as',
      'U0OWNER01',
    );
    expect(answered).toMatchObject({ code: 0 });
    const result: TaskResult = await handle.result();
    expect(result).toMatchObject({ outcome: 'executed', executedSteps: 1 });
    expect(result.events.join('\n')).toMatch(/U0OWNER01 answered "run-again" about step 1/);
    expect(lines('marks.log')).toEqual(['started', 'started']);
    expect(lines('effects.log')).toEqual(['a']);
    await killWorker(worker);
  });

  it('asks the declared check instead: an effect that happened is recorded, not repeated', async () => {
    const first = await startWorker();
    const handle = await submit([
      {
        action: 'shell.exec',
        params: {
          command: 'echo b >> effects.log; echo started >> marks-b.log; while true; do sleep 0.05; done',
          verify: 'grep -qx b effects.log',
        },
      },
    ]);
    await waitUntil(() => lines('marks-b.log').length === 1);
    await killWorker(first);
    const worker = await startWorker();
    const result: TaskResult = await handle.result();
    expect(result).toMatchObject({ outcome: 'executed', executedSteps: 1 });
    expect(lines('effects.log').filter((l) => l === 'b')).toEqual(['b']);
    expect(lines('marks-b.log')).toEqual(['started']);
    const status = await handle.query(statusQuery);
    expect(status.events.join('\n')).not.toMatch(/outcome unknown/);
    await killWorker(worker);
  });

  it('sends a request again with the same key only to a host declared to honour it', async () => {
    const first = await startWorker();
    const port = host.split(':')[1];
    const handle = await submit([
      { action: 'http.request', params: { method: 'POST', url: `http://localhost:${port}/hang/dedup` } },
    ]);
    await waitUntil(() => received.some((r) => r.path === '/hang/dedup'));
    await killWorker(first);
    // The retry's request is held as well; let every held request answer once the worker is back.
    const worker = await startWorker();
    await waitUntil(() => received.filter((r) => r.path === '/hang/dedup').length === 2, 60_000).catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${worker.stdout()}\n${worker.stderr()}`);
      },
    );
    for (const res of held.splice(0)) if (!res.destroyed) res.writeHead(200).end('{}');
    const result: TaskResult = await handle.result();
    expect(result).toMatchObject({ outcome: 'executed', executedSteps: 1 });
    const keys = received.filter((r) => r.path === '/hang/dedup').map((r) => r.key);
    // The step's key with the suffix journaled at its first send: the same on the retry.
    expect(keys.map((k) => effectKeyOf(k ?? ''))).toEqual([
      `${handle.workflowId}#0`,
      `${handle.workflowId}#0`,
    ]);
    expect(keys[0]).toMatch(/~[0-9a-f]{12}$/);
    expect(keys[1]).toBe(keys[0]);
    await killWorker(worker);
  });

  it('undoes a request whose outcome is unknown when a person says so, and sends nothing else twice', async () => {
    const first = await startWorker();
    const handle = await submit([
      {
        action: 'http.request',
        params: {
          method: 'POST',
          url: `http://${host}/hang/deploy`,
          undo: { method: 'POST', url: `http://${host}/rollback` },
        },
      },
    ]);
    await waitUntil(() => received.some((r) => r.path === '/hang/deploy'));
    await killWorker(first);
    const worker = await startWorker();
    const status = await asked(handle);
    expect(status.outcomeUnknown).toMatchObject({
      action: 'http.request',
      answers: ['ran', 'run-again', 'undo'],
    });
    expect(status.outcomeUnknown!.detail).toMatch(/not declared to honour Idempotency-Key/);
    expect(received.filter((r) => r.path === '/hang/deploy')).toHaveLength(1);

    await answerAs(
      handle,
      resolveOutcomeUpdate,
      { by: 'U0APPR002', question: status.outcomeUnknown!.id, answer: 'undo' },
      operatorSignerOf('U0APPR002'),
    );
    const result: TaskResult = await handle.result();
    expect(result.outcome).toBe('rolled-back');
    expect(result.error).toMatch(/outcome of step 1 was unknown and U0APPR002 asked to undo it/);
    expect(received.filter((r) => r.path === '/hang/deploy')).toHaveLength(1);
    expect(received.filter((r) => r.path === '/rollback').map((r) => effectKeyOf(r.key ?? ''))).toEqual([
      `${handle.workflowId}#0#undo`,
    ]);
    await killWorker(worker);
  });
});
