import { countProblems, expectedOutcome } from '../../scripts/chaos/checks';
import type { DestinationReader } from '../../scripts/chaos/destinations';
import type { GivenAnswer, TaskRun } from '../../scripts/chaos/driver';
import type { ListedMessage } from '../../scripts/chaos/slack-messages';
import type { PlannedTask, StepEffect } from '../../scripts/chaos/task-mix';
import type { TaskResult, TaskStatus } from '../../workflows/messages';

// The checker is what the chaos run promises: each count must catch the fault it names (a check
// that cannot fail would make a green run mean nothing), and stay 0 for a task that went right.

const WF = 'task/ops-agent/t1';

function plan(steps: StepEffect[], over: Partial<PlannedTask> = {}): PlannedTask {
  return {
    index: 1,
    kind: 'test',
    rung: 2,
    workflowId: WF,
    request: {
      taskId: 't1',
      agent: { id: 'ops-agent', model: 'm', promptVersion: 'p' },
      taskClass: 'deploy',
      title: 't',
      requester: 'U0SRE0001',
      environment: 'staging',
      steps: [],
    },
    answer: null,
    rollsBack: false,
    steps,
    seedFiles: [],
    submitViaCli: false,
    ...over,
  };
}

function result(over: Partial<TaskResult>): TaskResult {
  return {
    outcome: 'executed',
    rung: 3,
    decision: { report: null } as unknown as TaskResult['decision'],
    approvedBy: null,
    approvedAt: null,
    executedSteps: 1,
    reportRead: null,
    events: [],
    error: null,
    ...over,
  };
}

function run(p: PlannedTask, over: Partial<TaskRun> = {}): TaskRun {
  return {
    plan: p,
    submitted: true,
    answers: [],
    attempts: [],
    slackFallbacks: 0,
    done: true,
    notFound: false,
    answering: false,
    polling: false,
    nextPollAt: 0,
    nextAnswerAt: 0,
    answerFailures: 0,
    ...over,
  };
}

/** Destinations as the checker reads them, held in memory. */
function destinations(
  o: { demo?: (string | null)[]; lines?: string[]; files?: Record<string, string> } = {},
): DestinationReader {
  const files = o.files ?? {};
  return {
    demoEffects: async () => (o.demo ?? []).map((key, i) => ({ seq: i + 1, route: 'POST /deploys', key })),
    sideEffectLines: () => o.lines ?? [],
    workspaceFile: (path) => files[path] ?? null,
    configValues: (file, keys) => {
      const text = files[file];
      if (text === undefined) return null;
      const parsed = JSON.parse(text) as Record<string, unknown>;
      return Object.fromEntries(keys.filter((k) => k in parsed).map((k) => [k, parsed[k]]));
    },
  };
}

const shell: StepEffect = { action: 'shell.exec', key: `${WF}#0`, undoable: true };
const http: StepEffect = { action: 'http.request', key: `${WF}#0`, undoable: true };
const executedMessage = (text = 'x: Executed: 1 of 1 step(s) ran.'): ListedMessage => ({
  channel: 'C1',
  ts: '1.1',
  text,
  key: `${WF}/executed`,
  entries: [],
});

const nonZero = (counts: Awaited<ReturnType<typeof countProblems>>): Record<string, number> =>
  Object.fromEntries(
    Object.entries(counts)
      .filter(([, f]) => f.count > 0)
      .map(([k, f]) => [k, f.count]),
  );

describe('the chaos checker', () => {
  it('counts nothing for a task that ran once, with its message in its final text', async () => {
    const counts = await countProblems(
      [run(plan([shell]), { result: result({}) })],
      destinations({ lines: [`${WF}#0`] }),
      [executedMessage()],
      [],
      0,
      [],
    );
    expect(nonZero(counts)).toEqual({});
  });

  it('takes a line in a channel feed digest as the announcement, and counts one announced twice', async () => {
    const digest: ListedMessage = {
      channel: 'C1',
      ts: '1.5',
      text: '3 task(s) ran on their own authority',
      key: 'feed/q/ops/post-1',
      entries: [`${WF}/executed`],
    };
    const once = await countProblems(
      [run(plan([shell]), { result: result({}) })],
      destinations({ lines: [`${WF}#0`] }),
      [digest],
      [],
      0,
      [],
    );
    expect(nonZero(once)).toEqual({});
    const twice = await countProblems(
      [run(plan([shell]), { result: result({}) })],
      destinations({ lines: [`${WF}#0`] }),
      [executedMessage(), digest],
      [],
      0,
      [],
    );
    expect(nonZero(twice)).toEqual({ slackDuplicated: 1 });
  });

  it('counts an effect applied twice at the demo service and a line written twice', async () => {
    const counts = await countProblems(
      [run(plan([http]), { result: result({}) })],
      destinations({ demo: [`${WF}#0`, `${WF}#0`, null], lines: ['other#0', 'other#0', 'other#0'] }),
      [executedMessage()],
      [],
      0,
      [],
    );
    expect(nonZero(counts)).toEqual({ demoEffectsDuplicated: 1, sideEffectsDuplicated: 2 });
    expect(counts.demoEffectsDuplicated.details).toEqual([`${WF}#0 applied 2 times`]);
  });

  it('counts an effect missing for an executed task and one present for a rejected task', async () => {
    const missing = await countProblems(
      [run(plan([shell]), { result: result({}) })],
      destinations(),
      [executedMessage()],
      [],
      0,
      [],
    );
    expect(nonZero(missing)).toEqual({ effectsMissing: 1 });
    const rejected = run(plan([shell]), {
      result: result({ outcome: 'rejected', rung: 2, executedSteps: 0 }),
      answers: [{ what: 'approval', answer: 'reject', by: 'U0REL0001', at: 'T1', via: 'cli' }],
    });
    const without = await countProblems(
      [rejected],
      destinations({ lines: [`${WF}#0`] }),
      [
        {
          channel: 'C1',
          ts: '1.1',
          text: 'Rejected by U0REL0001 at T1: no',
          key: `${WF}/approval-request`,
          entries: [],
        },
      ],
      [],
      0,
      [],
    );
    expect(nonZero(without)).toEqual({ effectsWithoutRun: 1 });
  });

  it('expects every step undone after a rollback, and the config file back as it was', async () => {
    const config: StepEffect = {
      action: 'config.set',
      key: `${WF}#1`,
      file: 'c.json',
      set: { a: 2 },
      previous: { a: 1 },
    };
    const p = plan([shell, config], { rollsBack: true });
    const rolledBack = run(p, { result: result({ outcome: 'rolled-back', rung: 4, executedSteps: 2 }) });
    const message: ListedMessage = {
      channel: 'C1',
      ts: '1.2',
      text: 'x: Rolled back 2 step(s) because …',
      key: `${WF}/rollback`,
      entries: [],
    };
    const good = destinations({
      lines: [`${WF}#0`, `${WF}#0#undo`],
      demo: [`${WF}#1#reload`, `${WF}#1#undo-reload`],
      files: { 'c.json': '{"a":1}' },
    });
    expect(nonZero(await countProblems([rolledBack], good, [message], [], 0, []))).toEqual({});
    const notUndone = destinations({
      lines: [`${WF}#0`],
      demo: [`${WF}#1#reload`],
      files: { 'c.json': '{"a":2}' },
    });
    expect(nonZero(await countProblems([rolledBack], notUndone, [message], [], 0, []))).toEqual({
      effectsMissing: 2,
      effectsWithoutRun: 1,
    });
  });

  it('counts an accepted approval or read the result does not show, and an approval recorded at another time', async () => {
    const approved: GivenAnswer = {
      what: 'approval',
      answer: 'approve',
      by: 'U0REL0001',
      at: 'T1',
      via: 'slack',
    };
    const lostApproval = run(plan([shell]), {
      answers: [approved],
      result: result({ rung: 2, approvedBy: 'U0SRE0002', approvedAt: 'T0' }),
    });
    const read: GivenAnswer = { what: 'report', answer: 'read', by: 'U0SRE0001', at: 'T2', via: 'cli' };
    const lostRead = run(plan([shell], { workflowId: 'task/ops-agent/t2' }), {
      answers: [read],
      result: result({ rung: 5, reportRead: false }),
    });
    const otherTime = run(plan([shell], { workflowId: 'task/ops-agent/t3' }), {
      answers: [{ ...approved, at: 'T2' }],
      result: result({ rung: 2, approvedBy: 'U0REL0001', approvedAt: 'T1' }),
    });
    const counts = await countProblems(
      [lostApproval, lostRead, otherTime],
      destinations({ lines: [`${WF}#0`] }),
      [],
      [],
      0,
      [],
    );
    expect(counts.approvalsLost.count).toBe(1);
    expect(counts.readsLost.count).toBe(1);
    expect(counts.answerTimesDiffer.details).toEqual([
      'task/ops-agent/t3: approve by U0REL0001: receipt says T2, the result T1',
    ]);
  });

  it('counts a Slack message posted twice, a missing one, and one not in its final text', async () => {
    const stale: ListedMessage = {
      channel: 'C1',
      ts: '1.0',
      text: 'x: Needs your approval before it runs',
      key: `${WF}/approval-request`,
      entries: [],
    };
    const final: ListedMessage = {
      ...stale,
      ts: '1.1',
      text: 'x: Executed: 1 of 1 step(s) ran. Approved by U0REL0001 at T1.',
    };
    const approved = run(plan([shell]), {
      answers: [{ what: 'approval', answer: 'approve', by: 'U0REL0001', at: 'T1', via: 'slack' }],
      result: result({ rung: 2, approvedBy: 'U0REL0001', approvedAt: 'T1' }),
    });
    const counts = await countProblems(
      [approved],
      destinations({ lines: [`${WF}#0`] }),
      [stale, final],
      [],
      0,
      [],
    );
    expect(nonZero(counts)).toEqual({ slackDuplicated: 1, slackNotFinal: 1 });
    const none = await countProblems([approved], destinations({ lines: [`${WF}#0`] }), [], [], 0, []);
    expect(nonZero(none)).toEqual({ slackMissing: 1 });
  });

  it('tells a stuck task from one waiting for an answer the run could not give', async () => {
    const status = (over: Partial<TaskStatus>): TaskStatus => ({
      workflowId: WF,
      phase: 'executing',
      rung: 3,
      decision: null,
      currentStep: 0,
      stepsTotal: 1,
      waitingOn: null,
      outcome: null,
      approvedBy: null,
      events: [],
      stepsHash: 'h',
      ...over,
    });
    const stuck = run(plan([shell]), { done: false, status: status({}) });
    const waiting = run(plan([shell], { workflowId: 'task/ops-agent/t2' }), {
      done: false,
      status: status({ phase: 'awaiting-human', waitingOn: 'approvers: U0REL0001', rung: 2 }),
    });
    const answeredButWaiting = run(plan([shell], { workflowId: 'task/ops-agent/t3' }), {
      done: false,
      status: status({ phase: 'awaiting-human', waitingOn: 'approvers: U0REL0001', rung: 2 }),
      answers: [{ what: 'approval', answer: 'approve', by: 'U0REL0001', at: 'T1', via: 'cli' }],
    });
    const counts = await countProblems([stuck, waiting, answeredButWaiting], destinations(), [], [], 0, []);
    expect(nonZero(counts)).toEqual({ tasksStuck: 2, waitingUnanswered: 1, approvalsLost: 1 });
  });

  it('counts lost tasks, processes that died, and kills that did not happen or missed', async () => {
    const counts = await countProblems(
      [
        run(plan([shell]), { notFound: true }),
        run(plan([shell], { workflowId: 'task/x/2' }), { closedAs: 'TERMINATED' }),
      ],
      destinations(),
      [],
      [
        {
          what: 'worker',
          trap: 'shell-effect',
          inside: false,
          detail: 'never showed',
          atSeconds: 1,
          downMs: 1,
        },
      ],
      2,
      ['worker #2 exited on its own (code 1)'],
    );
    expect(nonZero(counts)).toEqual({ tasksLost: 2, processesDied: 1, killsNotDone: 2 });
  });

  it('expects the outcome the answers asked for', () => {
    const p = plan([shell], { rollsBack: true });
    expect(expectedOutcome(run(p, { result: result({ rung: 4 }) }))).toBe('rolled-back');
    expect(expectedOutcome(run(p, { result: result({ rung: 2 }) }))).toBe('executed');
    expect(
      expectedOutcome(
        run(p, {
          result: result({ rung: 0 }),
          answers: [{ what: 'suggestion', answer: 'dismiss', by: 'U', at: 'T', via: 'slack' }],
        }),
      ),
    ).toBe('suggestion-dismissed');
  });
});
