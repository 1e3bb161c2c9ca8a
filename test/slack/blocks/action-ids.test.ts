import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Notification } from '../../../activities/notify/notifier';
import {
  ACTION_ID_PREFIX,
  ACTION_IDS,
  isLadderAction,
  LADDER_ACTIONS,
  ladderActionOfId,
  OUTCOME_ANSWER_ACTIONS,
  type LadderAction,
} from '../../../slack/action-ids';
import { BLOCK_LIMITS } from '../../../slack/blocks/limits';
import { taskMessageBlocks } from '../../../slack/blocks/task-message';
import type { OutcomeAnswer } from '../../../workflows/messages';

// The one table of Ladder's buttons: short name (what workflows ask for) → Slack action id (what
// the builders render and the listeners register). Here: its invariants, and that the builders and
// listeners take ids from it and from nowhere else.

const ROOT = join(__dirname, '..', '..', '..');

describe('ACTION_IDS', () => {
  const ids = Object.values(ACTION_IDS);

  it('gives every button its own id, Ladder-prefixed, in the characters Slack allows and within its 255', () => {
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id).toMatch(/^ladder_[a-z_]+$/);
      expect(id.startsWith(ACTION_ID_PREFIX)).toBe(true);
      expect(id.length).toBeLessThanOrEqual(BLOCK_LIMITS.actionId);
    }
  });

  it('reads ids back to short names, and refuses anything else (Object members too)', () => {
    expect(LADDER_ACTIONS).toEqual(Object.keys(ACTION_IDS));
    for (const name of LADDER_ACTIONS) {
      expect(ladderActionOfId(ACTION_IDS[name])).toBe(name);
      expect(isLadderAction(name)).toBe(true);
    }
    for (const other of ['ladder_nuke', 'ladder_', 'approve', 'constructor', '__proto__', 42, undefined])
      expect(ladderActionOfId(other)).toBeUndefined();
    for (const other of ['ladder_approve', 'constructor', 'toString', '__proto__', 7, null])
      expect(isLadderAction(other)).toBe(false);
  });

  it('names one button for every answer to an outcome question, and only those', () => {
    // Compile-time: every OutcomeAnswer has a button, and the map holds nothing else.
    const answers: Record<OutcomeAnswer, LadderAction> = OUTCOME_ANSWER_ACTIONS;
    const exact: Record<keyof typeof OUTCOME_ANSWER_ACTIONS, true> = {
      ran: true,
      'run-again': true,
      undo: true,
    };
    expect(Object.keys(answers).sort()).toEqual(Object.keys(exact).sort());
    // What workflows/rungs/outcome-unknown.ts writes today (`outcome-${answer}`) is that button.
    for (const [answer, action] of Object.entries(answers)) expect(action).toBe(`outcome-${answer}`);
  });

  it('is importable from the workflow sandbox: no imports at all', () => {
    const source = readFileSync(join(ROOT, 'slack', 'action-ids.ts'), 'utf8');
    expect(source).not.toMatch(/^\s*import\s/m);
    expect(source).not.toMatch(/\brequire\(/);
  });
});

describe('the builders and listeners use the table', () => {
  const base: Notification = {
    kind: 'approval-request',
    workflowId: 'task/a/t',
    agentId: 'a',
    taskClass: 'c',
    channel: '#c',
    title: 't',
    text: 'x',
    fields: { stepsHash: 'f'.repeat(64) },
    subject: 's1',
  };
  const renderedIds = (n: Notification): string[] =>
    (
      taskMessageBlocks(n).find((b) => b.type === 'actions') as
        { elements: { action_id: string }[] } | undefined
    )?.elements.map((e) => e.action_id) ?? [];

  it.each(LADDER_ACTIONS)('renders %s with its id from the table', (action) => {
    expect(renderedIds({ ...base, actions: [action] })).toEqual([ACTION_IDS[action]]);
  });

  it('renders all of them together with ids from the table only', () => {
    const ids = renderedIds({ ...base, actions: [...LADDER_ACTIONS] });
    expect(ids).toEqual(LADDER_ACTIONS.map((a) => ACTION_IDS[a]));
  });

  /** Source files that render or listen for buttons (modals' callback ids are another namespace). */
  const files = [
    ...readdirSync(join(ROOT, 'slack', 'blocks')).map((f) => join('slack', 'blocks', f)),
    ...readdirSync(join(ROOT, 'slack', 'listeners')).map((f) => join('slack', 'listeners', f)),
    join('slack', 'app.ts'),
  ].filter((f) => f.endsWith('.ts'));

  it.each(files)('%s spells no action id itself', (file) => {
    const source = readFileSync(join(ROOT, file), 'utf8');
    // An action id written as a literal, or built from a name, instead of read from ACTION_IDS.
    expect(source).not.toMatch(/action_id:\s*['"`]/);
    expect(source).not.toMatch(/\.action\(\s*['"`/]/);
    expect(source).not.toMatch(/ladder_\$\{/);
    // No listener compares action names by hand (an if-chain over clicks).
    expect(source).not.toMatch(/\.action\s*===/);
  });
});
