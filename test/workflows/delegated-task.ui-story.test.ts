import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { parsePolicy } from '../../policy/loader';
import { approveUpdate, markReportReadUpdate, rejectUpdate } from '../../workflows/messages';
import { RungKey, WaitingOnKey } from '../../workflows/search-attributes';
import { answerAs } from '../helpers/answers';
import { appendStep, submit, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';

/**
 * Where the README's "Temporal UI" section lives: in README.md once merged there, in the draft
 * until then. The saved views are read from it, so the queries people copy are the ones tested.
 */
function temporalUiSection(): string {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Temporal UI\n');
  if (start < 0) throw new Error('README.md has no "## Temporal UI" section');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** Each saved view of the section: `#### Name` followed by its query in a `text` block. */
function savedViews(): Map<string, string> {
  const section = temporalUiSection();
  const views = new Map<string, string>();
  for (const m of section.matchAll(/^#### (.+)\n+```text\n([\s\S]*?)\n```/gm))
    views.set(m[1].trim(), m[2].trim());
  return views;
}

const decode = (p: Payload | null | undefined): unknown =>
  p ? defaultPayloadConverter.fromPayload(p as Payload) : undefined;

describe('the Temporal UI tells a task’s story (real dev server and worker)', () => {
  let stack: TestStack;
  /** The tasks the tests ran, by what they show; the saved views are checked against them last. */
  const ran: Record<string, string> = {};
  const sandbox = (file: string): string => join(stack.dirs.sandboxDir, file);
  const lines = (file: string): string[] =>
    existsSync(sandbox(file)) ? readFileSync(sandbox(file), 'utf8').split('\n').filter(Boolean) : [];

  beforeAll(async () => {
    stack = await startTestStack('ui-story', { policy: workflowTestPolicy() });
  });
  afterEach(() => {
    stack.policy.current = workflowTestPolicy();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** The current details, as the UI reads them: the workflow's built-in metadata query. */
  const detailsOf = async (handle: WorkflowHandle): Promise<string> =>
    (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '';
  const headlineOf = async (handle: WorkflowHandle): Promise<string> =>
    (await detailsOf(handle)).split('\n')[0];
  const waitingOnOf = async (handle: WorkflowHandle): Promise<string[] | undefined> =>
    (await handle.describe()).typedSearchAttributes.get(WaitingOnKey);

  /** Workflow ids a visibility query lists among this file's tasks (its own task queue). */
  const listed = async (query: string): Promise<string[]> => {
    const ids: string[] = [];
    for await (const wf of stack.client.workflow.list({
      query: `(${query}) AND TaskQueue = "${stack.taskQueue}"`,
    })) {
      ids.push(wf.workflowId);
    }
    return ids.sort();
  };
  /** Waits until the query lists exactly `expected` (visibility trails the history a little). */
  const expectListed = async (query: string, expected: string[]): Promise<void> => {
    const want = [...expected].sort();
    let got: string[] = [];
    try {
      await waitUntil(async () => {
        got = await listed(query);
        return JSON.stringify(got) === JSON.stringify(want);
      }, 30_000);
    } catch {
      throw new Error(`query ${query} listed ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    }
  };

  const historyOf = async (handle: WorkflowHandle) => (await handle.fetchHistory()).events ?? [];
  /** Summaries of every scheduled activity, in order; undefined where one has none. */
  /** The timeline labels of the activities, local ones (their markers, such as the decision) included. */
  const activitySummaries = async (handle: WorkflowHandle): Promise<(string | undefined)[]> =>
    (await historyOf(handle))
      .filter((e) => e.activityTaskScheduledEventAttributes || e.markerRecordedEventAttributes)
      .map((e) => decode(e.userMetadata?.summary) as string | undefined);
  const timerSummaries = async (handle: WorkflowHandle): Promise<(string | undefined)[]> =>
    (await historyOf(handle))
      .filter((e) => e.timerStartedEventAttributes)
      .map((e) => decode(e.userMetadata?.summary) as string | undefined);
  /** Every value `WaitingOn` was upserted to, in order (null: cleared). */
  const waitingOnUpserts = async (handle: WorkflowHandle): Promise<unknown[]> =>
    (await historyOf(handle))
      .map((e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields)
      .filter((fields) => fields && 'WaitingOn' in fields)
      .map((fields) => {
        const value = decode(fields!.WaitingOn);
        return Array.isArray(value) && value.length === 0 ? null : (value ?? null);
      });

  it('a rung-2 task names who it waits on while it waits, then who approved; WaitingOn is cleared', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a2', 'ops', [appendStep('story-approved')]),
    );
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    const described = await handle.describe();
    expect(await described.staticSummary()).toBe('a2 · ops · staging: a2 ops test task');
    const staticDetails = await described.staticDetails();
    expect(staticDetails).toMatch(
      /^\*\*Task t-\S+\*\* of agent a2 \(model m, prompt p\), requested by U0APPR001 in staging\n/,
    );
    expect(staticDetails).toContain('- step 1/1: shell.exec echo story-approved \\>\\> effects.log');
    // The requester cannot approve under the class's two-person rule: it waits on the other approver.
    expect(await waitingOnOf(handle)).toEqual(['U0APPR002']);
    expect(await headlineOf(handle)).toBe('**WAITING** at rung 2: waiting on U0APPR002 for approval');
    await expectListed('WaitingOn = "U0APPR002"', [workflowId]);
    await expectListed('WaitingOn = "U0APPR001"', []);

    const hash = stack.notifier.forWorkflow(workflowId)[0].notification.fields!.stepsHash;
    await answerAs(handle, approveUpdate, { approver: 'U0APPR002', stepsHash: hash });
    expect(await handle.result()).toMatchObject({ outcome: 'executed', rung: 2 });
    expect(await waitingOnOf(handle)).toBeUndefined();
    await expectListed('WaitingOn = "U0APPR002"', []);
    const details = await detailsOf(handle);
    expect(details.split('\n')[0]).toBe('**EXECUTED** at rung 2: 1 of 1 step(s) ran, approved by U0APPR002');
    expect(details).toMatch(/\n- approved by U0APPR002 at \d{4}-\d\d-\d\dT/);
    expect(await waitingOnUpserts(handle)).toEqual([['U0APPR002'], null]);

    const summaries = await activitySummaries(handle);
    expect(summaries.filter((s) => !s)).toEqual([]); // every activity on the timeline is labelled
    expect(summaries).toEqual(
      expect.arrayContaining([
        'decide the rung: policy, trust ledger, quota',
        'notify \\#ops: approval-request',
        'step 1/1: shell.exec echo story-approved \\>\\> effects.log',
      ]),
    );
    // A quick step: one edit tells the outcome and the approval, and records both.
    expect(summaries.filter((s) => s!.startsWith('update the main message: '))).toEqual([
      expect.stringMatching(
        /^update the main message: Executed: 1 of 1 step\\\(s\\\) ran\. Approved by U0APPR002 at .* \(and record approved, executed to ledger\)$/,
      ),
    ]);
    ran.approved = workflowId;
  });

  it('a rejected task stays a completed workflow but reads as REJECTED, naming who and why', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a2', 'ops', [appendStep('story-rejected')]),
    );
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    await answerAs(handle, rejectUpdate, { approver: 'U0APPR002', reason: 'wrong service' });
    expect(await handle.result()).toMatchObject({ outcome: 'rejected' });
    const described = await handle.describe();
    expect(described.status.name).toBe('COMPLETED');
    expect(described.typedSearchAttributes.get(WaitingOnKey)).toBeUndefined();
    const details = await detailsOf(handle);
    expect(details.split('\n')[0]).toBe('**REJECTED by U0APPR002** at rung 2: wrong service');
    expect(details).toContain('- steps: 0 of 1 ran');
    expect(await activitySummaries(handle)).toContainEqual(
      expect.stringMatching(
        /^update the main message: Rejected by U0APPR002 .* \(and record rejected to ledger\)$/,
      ),
    );
    ran.rejected = workflowId;
  });

  it('a rung-4 task that fails part-way reads as ROLLED BACK, with each step and undo labelled', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a4', 'ops', [
        appendStep('story-one', 'echo story-undone >> effects.log'),
        // It started before it failed, so its own undo runs too (first: the saga goes in reverse).
        {
          action: 'shell.exec',
          params: { command: 'echo broken >&2; exit 3', undo: 'echo story-two-undone >> effects.log' },
        },
      ]),
    );
    expect(await handle.result()).toMatchObject({ outcome: 'rolled-back', rung: 4, executedSteps: 1 });
    expect(lines('effects.log').filter((l) => /^story-(one|undone|two-undone)$/.test(l))).toEqual([
      'story-one',
      'story-two-undone',
      'story-undone',
    ]);
    const described = await handle.describe();
    expect(described.status.name).toBe('COMPLETED');
    expect(described.typedSearchAttributes.get(RungKey)).toBe(4);
    const details = await detailsOf(handle);
    expect(details.split('\n')[0]).toMatch(
      /^\*\*ROLLED BACK\*\* at rung 4: 1 step\(s\) ran and were undone: .*exited with 3: broken$/,
    );
    expect(details).toContain('- steps: 1 of 2 ran');
    expect(await waitingOnUpserts(handle)).toEqual([]); // nobody was waited on

    const summaries = await activitySummaries(handle);
    expect(summaries.filter((s) => !s)).toEqual([]);
    expect(summaries).toEqual(
      expect.arrayContaining([
        'step 1/2: shell.exec echo story-one \\>\\> effects.log',
        'step 2/2: shell.exec echo broken \\>\\&2; exit 3',
        'undo interrupted step 2/2: shell.exec echo broken \\>\\&2; exit 3',
        'undo step 1/2: shell.exec echo story-one \\>\\> effects.log',
        'notify \\#ops: rollback',
        'record outcome to ledger: rolled-back',
      ]),
    );
    // Undone in reverse: the interrupted step first, then the one that ran.
    const undo = summaries.filter((s) => s!.startsWith('undo '));
    expect(undo.map((s) => s!.slice(0, 22))).toEqual(['undo interrupted step ', 'undo step 1/2: shell.e']);
    ran.rolledBack = workflowId;
  });

  it('after a mid-task fall back to confirmation, Rung says 2 and the details say from where and why', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a3', 'ops', [
        {
          action: 'shell.exec',
          params: { command: 'echo story-ks >> effects.log; while [ ! -f story-go ]; do sleep 0.05; done' },
        },
        appendStep('story-ks-two'),
      ]),
    );
    await waitUntil(() => lines('effects.log').includes('story-ks'));
    expect((await handle.describe()).typedSearchAttributes.get(RungKey)).toBe(3);
    const file = join(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml');
    const frozen = parsePolicy(
      `${readFileSync(file, 'utf8')}\nkillSwitch: { engaged: true, cap: 0 }\n`,
      file,
    );
    if (!frozen.ok) throw new Error(JSON.stringify(frozen.errors));
    stack.policy.current = frozen.policy;
    writeFileSync(sandbox('story-go'), '');

    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    expect((await handle.describe()).typedSearchAttributes.get(RungKey)).toBe(2);
    expect(await waitingOnOf(handle)).toEqual(['U0APPR002']);
    const waiting = await detailsOf(handle);
    expect(waiting.split('\n')[0]).toBe('**WAITING** at rung 2: waiting on U0APPR002 for approval');
    expect(waiting).toMatch(
      /\n- rung: 2, fell back from 3 before step 2: .*kill switch caps every agent at rung 0/,
    );

    const request = stack.notifier
      .forWorkflow(workflowId)
      .find((m) => m.notification.kind === 'approval-request')!;
    await answerAs(handle, approveUpdate, {
      approver: 'U0APPR002',
      stepsHash: request.notification.fields!.stepsHash,
    });
    expect(await handle.result()).toMatchObject({ outcome: 'executed', rung: 2, executedSteps: 2 });
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(RungKey)).toBe(2);
    expect(described.typedSearchAttributes.get(WaitingOnKey)).toBeUndefined();
    const details = await detailsOf(handle);
    expect(details.split('\n')[0]).toBe('**EXECUTED** at rung 2: 2 of 2 step(s) ran, approved by U0APPR002');
    expect(details).toMatch(/\n- rung: 2, fell back from 3 before step 2: /);
    ran.fellBack = workflowId;
  });

  it('an unanswered request pings its escalation contacts, WaitingOn keeping to who may answer, then expires and clears it', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a2', 'fast', [appendStep('story-expired')]),
    );
    expect(await handle.result()).toMatchObject({ outcome: 'expired' });
    // `channel` is nobody by name; U0ESCAL01's turn (1.5 s) comes only at expiry, so it is never pinged.
    // The owner is pinged (below) to chase the approvers, but may not answer: not waited on.
    expect(await waitingOnUpserts(handle)).toEqual([['U0APPR001', 'U0APPR002'], null]);
    expect(await headlineOf(handle)).toBe('**EXPIRED** at rung 2: nobody answered in time, nothing ran');
    const timers = await timerSummaries(handle);
    expect(timers.filter((s) => !s)).toEqual([]);
    expect(timers).toContain('approval: ping channel if unanswered');
    expect(timers.at(-1)).toBe('approval: expires unanswered');
    expect(await activitySummaries(handle)).toContain('notify U0OWNER01: approval-reminder');
    ran.expired = workflowId;
  });

  it('an unread rung-5 report waits on its readers until one reads it', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a5', 'ops', [appendStep('story-report')]),
    );
    await waitForStatus(handle, (s) => s.phase === 'awaiting-report-read');
    const readers = ['U0APPR001', 'U0APPR002', 'U0OWNER01'];
    expect(await waitingOnOf(handle)).toEqual(readers);
    expect(await headlineOf(handle)).toBe(
      `**REPORT UNREAD** at rung 5: waiting on ${readers.join(', ')} for reading the report`,
    );
    await expectListed('WaitingOn = "U0OWNER01"', [workflowId]);
    await answerAs(handle, markReportReadUpdate, { by: 'U0OWNER01' });
    expect(await handle.result()).toMatchObject({ outcome: 'executed', rung: 5, reportRead: true });
    expect(await waitingOnOf(handle)).toBeUndefined();
    expect(await headlineOf(handle)).toBe(
      '**EXECUTED** at rung 5: 1 of 1 step(s) ran, on its own authority; report read by U0OWNER01',
    );
    expect(await waitingOnUpserts(handle)).toEqual([readers, null]);
    expect(await activitySummaries(handle)).toEqual(
      expect.arrayContaining(['notify \\#ops-reports: report', 'health check 1/4: step 1/1']),
    );
    await expectListed('WaitingOn = "U0OWNER01"', []);
  });

  it('runs every saved view of the README against these tasks', async () => {
    expect(Object.keys(ran).sort()).toEqual(['approved', 'expired', 'fellBack', 'rejected', 'rolledBack']);
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a2', 'ops', [appendStep('story-waiting')]),
    );
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    const weekAgo = new Date(Date.now() - 7 * 24 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    const expectations: Record<string, { me?: string; agent?: string; lists: string[] }> = {
      'Waiting on me': { me: 'U0APPR002', lists: [workflowId] },
      'Rolled back this week': { lists: [ran.rolledBack] },
      'Needs a person: rollback failed, or still waiting': { lists: [workflowId] },
      'By agent': { agent: 'a2', lists: [ran.approved, ran.rejected, ran.expired, workflowId] },
      'Not a plain success, by agent': { agent: 'a2', lists: [ran.rejected, ran.expired] },
      'Approved by me': { me: 'U0APPR002', lists: [ran.approved, ran.fellBack] },
    };
    const views = savedViews();
    // A view added to the README without a check here fails, as does a check whose view is gone.
    expect([...views.keys()].sort()).toEqual(Object.keys(expectations).sort());
    for (const [name, query] of views) {
      const e = expectations[name];
      const concrete = query
        .replaceAll('U0YOURSLACKID', e.me ?? 'U0NOBODY0')
        .replaceAll('my-agent', e.agent ?? 'no-agent')
        .replace(/\d{4}-\d\d-\d\dT00:00:00Z/g, weekAgo);
      await expectListed(concrete, e.lists);
    }
    await handle.cancel();
    expect((await handle.result()).outcome).toBe('cancelled');
    expect(await waitingOnOf(handle)).toBeUndefined();
    await expectListed(views.get('Waiting on me')!.replaceAll('U0YOURSLACKID', 'U0APPR002'), []);
  });
});
