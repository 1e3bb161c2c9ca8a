import {
  stepLabel,
  taskDetails,
  taskStaticDetails,
  taskSummary,
  timelineLabel,
  type TaskStoryFacts,
} from '../../workflows/task-story';
import type { TaskOutcome } from '../../workflows/messages';
import type { TaskRequest } from '../../policy/task';

/** Bytes the text takes as a JSON string payload, as Temporal measures its limits. */
const payloadBytes = (text: string): number => Buffer.byteLength(JSON.stringify(text), 'utf8');

const task = (extra: Partial<TaskRequest> = {}): TaskRequest => ({
  taskId: 't-1',
  agent: { id: 'a2', model: 'm', promptVersion: 'p' },
  taskClass: 'ops',
  title: 'Turn on checkout',
  requester: 'U0APPR001',
  environment: 'staging',
  steps: [
    { action: 'config.set', params: { file: 'flags.json', set: { 'flags.checkout': true } } },
    { action: 'shell.exec', params: { command: 'echo done >> effects.log' } },
    { action: 'http.request', params: { method: 'POST', url: 'http://127.0.0.1:1/reload' } },
  ],
  ...extra,
});

const facts = (extra: Partial<TaskStoryFacts> = {}): TaskStoryFacts => ({
  phase: 'done',
  outcome: 'executed',
  rung: 3,
  decision: { effectiveRung: 3, earnedRung: 3, reasons: [], refused: null },
  fellBack: null,
  stepsTotal: 2,
  currentStep: 1,
  executedSteps: 2,
  waiting: null,
  answers: {},
  reportRead: null,
  error: null,
  events: [],
  ...extra,
});

const headline = (text: string): string => text.split('\n')[0];

describe('task story: the Temporal UI summary of a task', () => {
  it('names agent, class, environment and title, with the title made inert', () => {
    expect(taskSummary(task({ title: 'Fix [login](https://evil.example) <b>now</b>' }))).toBe(
      'a2 · ops · staging: Fix \\[login\\]\\(https\\://evil.example\\) \\<b\\>now\\</b\\>',
    );
  });

  it('stays within the 400-byte summary limit for the longest title', () => {
    const summary = taskSummary(task({ title: '[]'.repeat(100) }));
    expect(summary.endsWith('…')).toBe(true);
    expect(payloadBytes(summary)).toBeLessThanOrEqual(400);
  });
});

describe('task story: static details', () => {
  it('says who asked, for which agent, and lists each step as its timeline label names it', () => {
    const details = taskStaticDetails(task({ resource: 'orders-db' }));
    expect(details.split('\n')).toEqual([
      '**Task t-1** of agent a2 (model m, prompt p), requested by U0APPR001 in staging',
      '',
      '- resource: orders-db',
      '- step 1/3: config.set flags.checkout\\=true',
      '- step 2/3: shell.exec echo done \\>\\> effects.log',
      '- step 3/3: http.request POST http\\://127.0.0.1:1/reload',
    ]);
  });

  it('stays within the 20 KB details limit with 50 steps of long parameters, saying what it left out', () => {
    const steps = Array.from({ length: 50 }, (_, i) => ({
      action: 'shell.exec',
      params: { command: `${i} ${'<&>'.repeat(400)}` },
    }));
    const details = taskStaticDetails(task({ steps, taskId: 'x'.repeat(128), title: 'y'.repeat(200) }));
    expect(payloadBytes(details)).toBeLessThanOrEqual(20_000);
    expect(details).toContain('- step 50/50: shell.exec 49 ');
    const many = taskStaticDetails(
      task({
        steps: Array.from({ length: 50 }, () => ({ action: 'x'.repeat(390), params: {} })),
      }),
    );
    expect(payloadBytes(many)).toBeLessThanOrEqual(20_000);
    expect(many.split('\n').at(-1)).toMatch(/^- … and \d+ more line\(s\)$/);
  });
});

describe('task story: current details say how the task stands or ended', () => {
  const endings: [TaskOutcome, Partial<TaskStoryFacts>, RegExp][] = [
    [
      'executed',
      { rung: 2, answers: { approval: { by: 'U0APPR002', at: '2026-01-01T00:00:00.000Z' } } },
      /^\*\*EXECUTED\*\* at rung 2: 2 of 2 step\(s\) ran, approved by U0APPR002$/,
    ],
    ['executed', {}, /^\*\*EXECUTED\*\* at rung 3: 2 of 2 step\(s\) ran, on its own authority$/],
    ['executed', { rung: 5, reportRead: false }, /^\*\*EXECUTED, REPORT NOT READ IN TIME\*\* at rung 5/],
    [
      'rolled-back',
      { rung: 4, error: 'health check failed after step 2' },
      /^\*\*ROLLED BACK\*\* at rung 4: 2 step\(s\) ran and were undone: health check failed after step 2$/,
    ],
    [
      'rollback-failed',
      { rung: 4, error: 'step 1: 404' },
      /^\*\*ROLLBACK FAILED\*\* at rung 4: .*a person must repair/,
    ],
    [
      'rejected',
      {
        rung: 2,
        executedSteps: 0,
        answers: { rejection: { by: 'U0APPR002', reason: 'wrong service', at: 'T' } },
      },
      /^\*\*REJECTED by U0APPR002\*\* at rung 2: wrong service$/,
    ],
    [
      'expired',
      { rung: 2, executedSteps: 0 },
      /^\*\*EXPIRED\*\* at rung 2: nobody answered in time, nothing ran$/,
    ],
    [
      'failed',
      { executedSteps: 1, error: 'exited with 4: disk full' },
      /^\*\*FAILED\*\* at rung 3 after 1 of 2 step\(s\): exited with 4: disk full$/,
    ],
    [
      'refused',
      {
        decision: { effectiveRung: 0, earnedRung: 0, reasons: [], refused: { message: 'unknown action x' } },
      },
      /^\*\*REFUSED by the policy\*\*: unknown action x$/,
    ],
    ['cancelled', { executedSteps: 1 }, /^\*\*CANCELLED\*\* at rung 3 after 1 of 2 step\(s\)$/],
    [
      'suggestion-done',
      { rung: 0, answers: { suggestion: { by: 'U0APPR001', resolution: 'done', at: 'T' } } },
      /^\*\*SUGGESTION DONE by U0APPR001\*\* at rung 0/,
    ],
    [
      'draft-rejected',
      { rung: 1, answers: { draft: { by: 'U0APPR002', accept: false, reason: 'too wide', at: 'T' } } },
      /^\*\*DRAFT REJECTED by U0APPR002\*\* at rung 1: too wide$/,
    ],
  ];
  it.each(endings)('%s: %p', (outcome, extra, expected) => {
    expect(headline(taskDetails(facts({ outcome, ...extra })))).toMatch(expected);
  });

  it('never opens a task that did not succeed with the success marker', () => {
    const notSuccess: TaskOutcome[] = [
      'rolled-back',
      'rollback-failed',
      'rejected',
      'expired',
      'failed',
      'refused',
      'cancelled',
      'draft-rejected',
      'suggestion-dismissed',
    ];
    for (const outcome of notSuccess) {
      expect(headline(taskDetails(facts({ outcome })))).not.toMatch(/EXECUTED/);
    }
  });

  it('tells a fall back to confirmation with the rung it fell from, the step and why', () => {
    const details = taskDetails(
      facts({
        rung: 2,
        fellBack: { from: 3, reason: 'the kill switch caps every agent at rung 0', beforeStep: 1 },
        answers: { approval: { by: 'U0APPR002', at: '2026-01-01T00:00:00.000Z' } },
      }),
    );
    expect(details).toContain(
      '- rung: 2, fell back from 3 before step 2: the kill switch caps every agent at rung 0',
    );
    expect(details).toContain('- approved by U0APPR002 at 2026-01-01T00:00:00.000Z');
  });

  it('names who a waiting task waits on, and what for', () => {
    const details = taskDetails(
      facts({
        phase: 'awaiting-human',
        outcome: null,
        rung: 2,
        executedSteps: 0,
        waiting: { what: 'approval', on: ['U0APPR001', 'U0APPR002'] },
      }),
    );
    expect(headline(details)).toBe('**WAITING** at rung 2: waiting on U0APPR001, U0APPR002 for approval');
    expect(details).toContain('- waiting on: U0APPR001, U0APPR002 (approval)');
    const report = taskDetails(
      facts({ phase: 'awaiting-report-read', outcome: null, rung: 5, waiting: { what: 'report', on: [] } }),
    );
    expect(headline(report)).toBe(
      '**REPORT UNREAD** at rung 5: waiting on a channel (nobody by name) for reading the report',
    );
  });

  it('makes agent and error text inert: no link, image or HTML reaches the UI', () => {
    const details = taskDetails(
      facts({
        outcome: 'failed',
        error: '![x](http://evil.example/p.png) <img src=x> [click](https://evil.example)\n# heading',
        events: ['[a](http://b)'],
      }),
    );
    // Brackets, angle brackets and bangs open links, images and HTML: none stays unescaped.
    expect(details).not.toMatch(/(^|[^\\])[[\]<>!]/);
    expect(details).toContain('\\!\\[x\\]\\(http\\://evil.example/p.png\\)');
  });

  it('stays within 20 KB with thousands of long events, showing the latest', () => {
    const events = Array.from({ length: 5000 }, (_, i) => `event ${i} ${'&'.repeat(1000)}`);
    const details = taskDetails(facts({ outcome: 'failed', events, error: '€'.repeat(5000) }));
    expect(payloadBytes(details)).toBeLessThanOrEqual(20_000);
    expect(details).toContain('- events (latest 10 of 5000):');
    expect(details).toContain('event 4999');
    expect(details).not.toContain('event 4989 ');
  });

  it('is deterministic: the same facts give the same text', () => {
    const f = facts({ outcome: 'rolled-back', rung: 4, error: 'x', events: ['a', 'b'] });
    expect(taskDetails(f)).toBe(taskDetails(structuredClone(f)));
  });
});

describe('task story: timeline labels', () => {
  it('names a step by number, action and what it changes', () => {
    const steps = task().steps;
    expect(stepLabel(1, 3, steps[0])).toBe('step 2/3: config.set flags.checkout\\=true');
    expect(timelineLabel.executeStep(1, 3, steps[1], 'run-again')).toBe(
      'step 2/3: shell.exec echo done \\>\\> effects.log (run again)',
    );
    expect(timelineLabel.undoStep(0, 3, steps[0], true)).toBe(
      'undo interrupted step 1/3: config.set flags.checkout\\=true',
    );
    expect(stepLabel(0, 1, { action: 'file.write', params: { path: 'a.txt', content: 'x' } })).toBe(
      'step 1/1: file.write a.txt',
    );
  });

  it('cuts long parameters and stays within the summary limit', () => {
    const label = stepLabel(0, 1, { action: 'shell.exec', params: { command: `${'a'.repeat(500)}` } });
    expect(label).toBe(`step 1/1: shell.exec ${'a'.repeat(119)}…`);
    const wide = stepLabel(0, 1, { action: '<'.repeat(300), params: {} });
    expect(payloadBytes(wide)).toBeLessThanOrEqual(400);
  });

  it('names where a message goes and what it records', () => {
    expect(timelineLabel.notify({ kind: 'approval-request', channel: '#ops' })).toBe(
      'notify \\#ops: approval-request',
    );
    expect(timelineLabel.notify({ kind: 'approval-reminder', channel: '#ops', to: 'U0OWNER01' })).toBe(
      'notify U0OWNER01: approval-reminder',
    );
    expect(timelineLabel.notify({ kind: 'executed', channel: '#ops' }, 'executed')).toBe(
      'notify \\#ops: executed (and record executed to ledger)',
    );
    expect(timelineLabel.recordOutcome('rolled-back')).toBe('record outcome to ledger: rolled-back');
    expect(timelineLabel.updateMessage('Approved by U0APPR002')).toBe(
      'update the main message: Approved by U0APPR002',
    );
    expect(timelineLabel.updateMessage('Executed.', ['approved', 'executed'])).toBe(
      'update the main message: Executed. (and record approved, executed to ledger)',
    );
    expect(timelineLabel.answerWait('approval', 'U0OWNER01')).toBe('approval: ping U0OWNER01 if unanswered');
  });
});
