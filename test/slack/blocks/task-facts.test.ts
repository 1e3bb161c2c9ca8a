import type { Notification } from '../../../activities/notify/notifier';
import { EMULATOR_EMOJI } from '../../../slack/emulator/page';
import { BLOCK_LIMITS } from '../../../slack/blocks/limits';
import { changeSummary, lineDiff, stepOutcomeFacts, type StepFacts } from '../../../slack/blocks/task-facts';
import {
  answerText,
  expiryWords,
  readableTime,
  reportFactsText,
  stepText,
  taskFactsBlocks,
} from '../../../slack/blocks/task-facts-blocks';
import { taskMessageBlocks } from '../../../slack/blocks/task-message';

describe('stepOutcomeFacts: what a step did, from its params and the record its action returned', () => {
  it('config.set: old → new per key, a key that did not exist as null, and the reload', () => {
    const facts = stepOutcomeFacts(
      {
        action: 'config.set',
        params: { file: 'app.json', set: { rps: 20, 'limits.burst': 5 }, reloadUrl: 'http://svc/reload' },
      },
      { file: 'app.json', previous: { rps: { absent: false, value: 10 }, 'limits.burst': { absent: true } } },
    );
    expect(facts).toEqual({
      what: 'set rps, limits.burst in app.json',
      result: 'reload requested (POST http://svc/reload)',
      changes: [
        { key: 'rps', from: '10', to: '20' },
        { key: 'limits.burst', from: null, to: '5' },
      ],
    });
  });

  it('file.write: created with its lines, replaced with a diff, or unchanged', () => {
    const step = { action: 'file.write', params: { path: 'notes.txt', content: 'a\nB\nc' } };
    expect(stepOutcomeFacts(step, { path: 'notes.txt', previous: null })).toEqual({
      what: 'write notes.txt',
      result: 'created (5 characters)',
      diff: '+a\n+B\n+c',
    });
    expect(stepOutcomeFacts(step, { path: 'notes.txt', previous: 'a\nb\nc' })).toEqual({
      what: 'write notes.txt',
      result: 'replaced 5 with 5 characters',
      diff: '-b\n+B',
    });
    expect(stepOutcomeFacts(step, { path: 'notes.txt', previous: 'a\nB\nc' }).result).toBe(
      'unchanged (same content)',
    );
    // Before it ran there is no record: only what it will do.
    expect(stepOutcomeFacts(step, undefined)).toEqual({ what: 'write notes.txt' });
  });

  it('http.request: method, URL and the status it got; shell.exec: the exit code and the tail of its output', () => {
    expect(
      stepOutcomeFacts(
        { action: 'http.request', params: { method: 'POST', url: 'http://svc/deploys' } },
        { undo: null, status: 201 },
      ),
    ).toEqual({ what: 'POST http://svc/deploys', result: 'HTTP 201' });
    const long = 'x'.repeat(1000) + 'END\n';
    const shell = stepOutcomeFacts(
      { action: 'shell.exec', params: { command: 'make deploy' } },
      { undo: null, cwd: '.', exitCode: 0, output: long },
    );
    expect(shell.what).toBe('run `make deploy`');
    expect(shell.result).toMatch(/^exit code 0; output: …x+END$/);
    expect(shell.result!.length).toBeLessThan(340);
  });

  it('reads a record of another shape defensively: less is said, nothing throws', () => {
    expect(stepOutcomeFacts({ action: 'config.set', params: null }, 'garbage')).toEqual({
      what: 'set  in ?',
      changes: [],
    });
    expect(stepOutcomeFacts({ action: 'file.write', params: { path: 'p' } }, { previous: 7 })).toEqual({
      what: 'write p',
    });
    expect(stepOutcomeFacts({ action: 'custom.thing', params: {} }, { a: 1 })).toEqual({
      what: 'custom.thing',
    });
  });

  it('keeps long values short', () => {
    const facts = stepOutcomeFacts(
      { action: 'config.set', params: { file: 'a.json', set: { k: 'v'.repeat(500) } } },
      { previous: { k: { absent: false, value: 'old' } } },
    );
    expect(facts.changes![0].to.length).toBeLessThanOrEqual(120);
    expect(facts.changes![0].to.endsWith('…')).toBe(true);
  });
});

describe('lineDiff', () => {
  it('shows the lines between the common head and tail, removed then added', () => {
    expect(lineDiff('a\nb\nc\nd', 'a\nx\ny\nd')).toBe('-b\n-c\n+x\n+y');
    expect(lineDiff('same', 'same')).toBe('');
    expect(lineDiff('', 'new')).toBe('+new');
    expect(lineDiff('old', '')).toBe('-old');
  });

  it('stops after 12 lines, saying how many more, and does not compare what is too large', () => {
    const after = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n');
    const diff = lineDiff('', after).split('\n');
    expect(diff).toHaveLength(13);
    expect(diff.at(-1)).toBe('… 18 more line(s)');
    expect(lineDiff('a'.repeat(20_000), 'b')).toBe('(too large to show: 20000 → 1 characters)');
  });
});

describe('changeSummary', () => {
  it('one part per step that ran: what it did and its old → new values (or its result)', () => {
    const steps: StepFacts[] = [
      { what: 'set rps in app.json', status: 'ran', changes: [{ key: 'rps', from: '10', to: '20' }] },
      { what: 'POST http://svc/reload', status: 'ran', result: 'HTTP 200' },
      { what: 'write never.txt', status: 'not-run' },
    ];
    expect(changeSummary(steps)).toBe('set rps in app.json; rps: 10 → 20 | POST http://svc/reload; HTTP 200');
  });
});

describe('taskFactsBlocks', () => {
  const ran: StepFacts = {
    what: 'set rps in app.json',
    blastRadius: 'medium',
    status: 'ran',
    result: 'reload requested (POST http://svc/reload)',
    changes: [{ key: 'rps', from: '10', to: '20' }],
    health: { healthy: true, detail: 'GET http://svc/health → 200' },
  };

  it('shows each step with its status, result, old → new values, health and compensation', () => {
    const text = stepText(
      {
        ...ran,
        health: { healthy: false, detail: 'GET http://svc/health → 500' },
        compensation: { undone: true, detail: '' },
      },
      0,
    );
    expect(text.split('\n')).toEqual([
      '1. :white_check_mark: _ran_: set rps in app.json (blast radius: medium) — reload requested (POST http://svc/reload)',
      '      • `rps`: 10 → 20',
      '      :red_circle: health check failed: GET http://svc/health → 500',
      '      :leftwards_arrow_with_hook: compensated (undone)',
    ]);
    expect(
      stepText(
        {
          what: 'write x',
          status: 'failed',
          error: 'disk full',
          compensation: { undone: false, detail: 'EACCES' },
        },
        1,
      ),
    ).toBe('2. :x: _failed_: write x\n      :warning: not undone: EACCES\n      error: disk full');
    expect(stepText({ what: 'write x', status: 'ran', diff: '-a\n+b' }, 2)).toBe(
      '3. :white_check_mark: _ran_: write x\n```-a\n+b```',
    );
    expect(stepText({ what: 'k', status: 'ran', changes: [{ key: 'k', from: null, to: '1' }] }, 0)).toContain(
      '`k`: _(not set)_ → 1',
    );
  });

  it('names who may answer as mentions, who may not under which rule, and when it expires and what then', () => {
    const text = answerText({
      mayAnswer: ['U0APPR002', 'U0APPR003'],
      excluded: [{ who: 'U0APPR001', rule: 'two-person-rule' }],
      expiresAt: '2026-11-26T15:30:05.123Z',
      onExpiry: { then: 'reject' },
    });
    expect(text.split('\n')).toEqual([
      '*Who may answer:* <@U0APPR002>, <@U0APPR003>',
      '*Not* <@U0APPR001>: requested this task, and the two-person rule lets someone else approve it only',
      '*Expires:* 2026-11-26 15:30:05 UTC; then it is rejected and nothing runs',
    ]);
    expect(answerText({ mayAnswer: [] })).toBe('*Who may answer:* _nobody: check the policy_');
    expect(answerText({ mayAnswer: ['U0APPR002'], onExpiry: { then: 'keep-waiting' } })).toContain(
      '*Expires:* never; it keeps waiting',
    );
    expect(expiryWords({ then: 'escalate', group: 'leads', members: ['U0LEAD001'] })).toBe(
      'then it goes to leads (<@U0LEAD001>)',
    );
    expect(answerText({ mayAnswer: ['U1X'], warnAt: '2026-11-26T15:20:00Z' })).toContain(
      '*Warning before expiry:* 2026-11-26 15:20:00 UTC',
    );
  });

  it('tells a report’s read deadline, its readers, and who is pinged next and when (or that nobody is left)', () => {
    expect(
      reportFactsText({
        readers: ['U0OWNER01'],
        readBy: '2026-11-26T16:00:00.000Z',
        nextEscalation: { at: '2026-11-26T15:10:00.000Z', to: 'U0LEAD001' },
      }).split('\n'),
    ).toEqual([
      '*Read by:* 2026-11-26 16:00:00 UTC (readers: <@U0OWNER01>)',
      '*If unread:* <@U0LEAD001> is pinged at 2026-11-26 15:10:00 UTC',
    ]);
    expect(reportFactsText({ readers: [], readBy: 'soon' })).toContain('no escalation is left');
    expect(readableTime('not a time <!channel>')).toBe('not a time &lt;!channel&gt;');
  });

  it('escapes what the agent wrote: no mention, link or broadcast gets through', () => {
    const hostile = '<!channel> <@U0ADMIN01> <http://evil|click> & more';
    const blocks = taskFactsBlocks({
      steps: [
        {
          what: hostile,
          status: 'ran',
          result: hostile,
          changes: [{ key: hostile, from: hostile, to: hostile }],
          diff: hostile,
          health: { healthy: true, detail: hostile },
          compensation: { undone: false, detail: hostile },
          error: hostile,
        },
      ],
      answer: { mayAnswer: [hostile], excluded: [{ who: hostile, rule: 'two-person-rule' }] },
      report: { readers: [hostile], readBy: hostile, nextEscalation: { at: hostile, to: hostile } },
    });
    const all = JSON.stringify(blocks);
    expect(all).not.toMatch(/<!channel>|<@U0ADMIN01>|<http:\/\/evil/);
    expect(all).toContain('&lt;!channel&gt;');
  });

  it('stays within Slack’s limits however many steps and however long they are', () => {
    const steps: StepFacts[] = Array.from({ length: 200 }, (_, i) => ({
      what: `step ${i} ${'w'.repeat(2_000)}`,
      status: 'ran',
      diff: 'd'.repeat(5_000),
    }));
    const blocks = taskFactsBlocks({ steps, answer: { mayAnswer: ['U0APPR001'] } }, 'http://ui/x');
    expect(blocks.length).toBeLessThanOrEqual(40);
    for (const b of blocks) {
      const text = (b as { text: { text: string } }).text.text;
      expect(text.length).toBeLessThanOrEqual(BLOCK_LIMITS.sectionText);
    }
    expect(JSON.stringify(blocks.at(-1))).toContain('more part(s): see the Temporal UI');
    // In a whole message, beside the text, the context and the buttons.
    const n: Notification = {
      kind: 'approval-reminder',
      workflowId: 'task/a/t-1',
      agentId: 'a',
      taskClass: 'ops',
      channel: '#ops',
      title: 't',
      text: 'x',
      fields: { stepsHash: 'f'.repeat(64) },
      actions: ['approve', 'reject'],
      facts: { steps },
    };
    const message = taskMessageBlocks(n);
    expect(message.length).toBeLessThanOrEqual(BLOCK_LIMITS.blocksPerMessage);
    expect(message.at(-1)?.type).toBe('actions');
  });

  it('renders nothing without facts', () => {
    expect(taskFactsBlocks(undefined)).toEqual([]);
    expect(taskFactsBlocks({})).toEqual([]);
  });
});

describe('the emulator draws every emoji Ladder writes', () => {
  it('has a character for each shortcode in the facts and the Slack commands', () => {
    const all = JSON.stringify(
      taskFactsBlocks({
        steps: (['to-run', 'ran', 'failed', 'not-run', 'outcome-unknown', 'suggested'] as const).map(
          (status) => ({
            what: 'w',
            status,
            health: { healthy: status === 'ran', detail: '' },
            compensation: { undone: status === 'ran', detail: '' },
          }),
        ),
      }),
    );
    const used = [...all.matchAll(/:([a-z_]+):/g)].map((m) => m[1]);
    expect(used.length).toBeGreaterThan(8);
    // The kill switch and incident replies (slack/listeners/commands.ts) use these two.
    for (const name of [...used, 'octagonal_sign', 'rotating_light'])
      expect(EMULATOR_EMOJI[name]).toBeDefined();
    expect(EMULATOR_EMOJI.octagonal_sign).toBe('\u{1F6D1}');
  });
});
