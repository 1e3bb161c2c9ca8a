import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decide } from '../../policy/decide';
import { withStepRequests } from '../../policy/request-bounds';
import { createActionRegistry } from '../../activities/actions/registry';
import { emptyEvidence, newLedger, type LedgerState } from '../../policy/ledger';
import { applyPromotion, classRollbackFor } from '../../policy/ledger-reducer';
import { loadPolicyFile } from '../../policy/loader';
import { taskRequestSchema, type TaskRequest } from '../../policy/task';
import { demotionFor, type DemotionEvent } from '../../policy/trust-rules';
import {
  classRollbackCause,
  decisionReason,
  decisionRung,
  identifierLabel,
  rungChangeCause,
  slackAckKind,
  slackErrorLabel,
  slackMethodLabel,
  statusLabel,
} from '../../observability/labels';

const actions = createActionRegistry();

const ROOT = join(__dirname, '..', '..');
const policy = loadPolicyFile(join(ROOT, 'examples', 'policy.yaml')).policy;
const NO_USAGE = { countToday: 0, costTodayUsd: 0 };

function exampleTask(name: string, edit: Partial<TaskRequest> = {}): TaskRequest {
  const raw = JSON.parse(readFileSync(join(ROOT, 'examples', 'tasks', `${name}.json`), 'utf8'));
  return taskRequestSchema.parse({ ...raw, ...edit });
}

describe('decision labels, from real decisions on the example policy', () => {
  it.each([
    ['rung3-bounded', {}, '3', 'earned'],
    ['rung5-report', {}, '5', 'earned'],
    ['fallback-out-of-bounds', {}, '2', 'bounds'],
    // The pin's id is the policy's word: only the rule's kind becomes a label.
    ['pinned-production-deploy', {}, '2', 'pin'],
    ['self-calibration-lower', {}, '2', 'requested-lower'],
    [
      'rung3-bounded',
      { agent: { id: 'nobody', model: 'm', promptVersion: 'p' } },
      'refused',
      'unknown-agent',
    ],
    ['rung3-bounded', { taskClass: 'no-such-class' }, 'refused', 'unknown-task-class'],
  ] as const)('%s %j → rung %s, reason %s', (name, edit, rung, reason) => {
    const task = withStepRequests(actions, exampleTask(name, edit as Partial<TaskRequest>));
    const decision = decide(policy, null, task, NO_USAGE);
    expect(decisionRung(decision)).toBe(rung);
    expect(decisionReason(decision)).toBe(reason);
  });

  it('names the first rule that lowered the rung when several did', () => {
    // The class cap (customer-email: 1), the missing infrastructure and the agent's own request
    // all hold the rung down.
    const task = exampleTask('rung1-draft', { requestedRung: { rung: 0, reason: 'unsure' } });
    const decision = decide(policy, { earnedRungs: { [task.taskClass]: 5 } }, task, NO_USAGE);
    const rules = decision.reasons.map((r) => r.rule);
    expect(rules[0]).toBe('class-cap');
    expect(rules.at(-1)).toBe('requested-lower');
    expect(decisionReason(decision)).toBe('class-cap');
    expect(decisionRung(decision)).toBe('0');
  });

  it('never lets an odd rule become a label', () => {
    expect(
      decisionReason({ refused: null, reasons: [{ rule: 'Pin With Spaces:x', ceiling: 2, message: '' }] }),
    ).toBe('other');
    expect(identifierLabel('x'.repeat(65))).toBe('other');
  });
});

describe('rung change causes, from the causes the trust ledger writes', () => {
  const events: [DemotionEvent, string][] = [
    [{ kind: 'defect' }, 'defect'],
    [{ kind: 'incident' }, 'incident'],
    [{ kind: 'rollback-failed' }, 'rollback-failed'],
    [{ kind: 'rollback-did-not-fire' }, 'rollback-did-not-fire'],
    [{ kind: 'bounds-missed' }, 'bounds-missed'],
    [{ kind: 'sla-breach' }, 'sla-breach'],
    [{ kind: 'environment-change', what: 'model', from: 'm1', to: 'm2' }, 'model-change'],
    [{ kind: 'environment-change', what: 'prompt', from: 'p1', to: 'p2' }, 'prompt-change'],
    [{ kind: 'environment-change', what: 'data source', from: 'd1', to: 'd2' }, 'data-source-change'],
  ];
  it.each(events)('demotion for %j → %s', (event, category) => {
    const change = demotionFor(policy, 5, event);
    expect(change).not.toBeNull();
    expect(rungChangeCause(change!.cause)).toBe(category);
  });

  it('an approved promotion → approved', () => {
    const state: LedgerState = newLedger('ops-agent');
    state.classes.deploy = { rung: 3, evidence: emptyEvidence(0), lifetime: emptyEvidence(0) };
    state.proposals.push({
      id: 'p1',
      taskClass: 'deploy',
      from: 3,
      to: 4,
      at: new Date(0).toISOString(),
      criteria: [{ criterion: 'samples', ok: true, detail: '40 samples (defect) of 20' }],
      approvers: ['U0SRE0001'],
      status: 'open',
      decidedBy: null,
      messageRef: null,
    });
    const applied = applyPromotion(state, 'p1', 'U0SRE0001', 1_000);
    if (!applied.ok) throw new Error(applied.reason);
    // The criteria's words never decide the category, even one naming a demotion event.
    expect(rungChangeCause(applied.change.cause)).toBe('approved');
  });

  it('an unknown cause → other', () => {
    expect(rungChangeCause('the moon was full')).toBe('other');
  });

  it('class rollbacks → audit-disagreement or defect-escape', () => {
    const evidence = { ...emptyEvidence(0), auditSampled: 20, auditDisagreed: 15, executed: 20, defects: 15 };
    const byAudits = classRollbackFor(policy, 'config-change', 4, evidence);
    expect(classRollbackCause(byAudits!.cause)).toBe('audit-disagreement');
    const byDefects = classRollbackFor(policy, 'config-change', 4, {
      ...evidence,
      auditSampled: 0,
      auditDisagreed: 0,
    });
    expect(classRollbackCause(byDefects!.cause)).toBe('defect-escape');
    expect(classRollbackCause('something new')).toBe('other');
  });
});

describe('Slack and HTTP labels', () => {
  it('tells the kind of a Slack request from its parsed body', () => {
    expect(slackAckKind({ command: '/ladder', text: 'help' })).toBe('command');
    expect(slackAckKind({ type: 'block_actions' })).toBe('block_actions');
    expect(slackAckKind({ type: 'view_submission' })).toBe('view_submission');
    expect(slackAckKind({ type: 'event_callback', event: { type: 'app_mention' } })).toBe('event');
    expect(slackAckKind({ type: 'view_closed' })).toBe('other');
    expect(slackAckKind({ type: 'shortcut' })).toBe('other');
  });

  it('keeps Web API methods and error codes only when they look like Slack’s', () => {
    expect(slackMethodLabel('chat.postMessage')).toBe('chat.postMessage');
    expect(slackMethodLabel('admin.users.session.reset')).toBe('admin.users.session.reset');
    expect(slackMethodLabel('https://evil.example/x')).toBe('other');
    expect(slackMethodLabel('T0123/C456')).toBe('other');
    expect(slackErrorLabel('channel_not_found')).toBe('channel_not_found');
    expect(slackErrorLabel('http_503')).toBe('http_503');
    expect(slackErrorLabel('Something <bad> with U0ABC in it')).toBe('other');
  });

  it('labels HTTP statuses by their three digits', () => {
    expect(statusLabel(200)).toBe('200');
    expect(statusLabel('aborted')).toBe('aborted');
    expect(statusLabel(42)).toBe('other');
  });
});
