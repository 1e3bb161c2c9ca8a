import { join } from 'node:path';
import type { OutcomeEvent } from '../../activities/outcomes';
import { decide } from '../../policy/decide';
import { loadPolicyFile } from '../../policy/loader';
import { createLadderMetrics, type LadderMetrics } from '../../observability/ladder-metrics';
import { parsePrometheusText, sampleValue, type Family } from '../helpers/prometheus-text';

const policy = loadPolicyFile(join(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml')).policy;
const declared = (taskClass: string): boolean => Object.hasOwn(policy.taskClasses, taskClass);

async function text(metrics: LadderMetrics): Promise<Map<string, Family>> {
  return parsePrometheusText(await metrics.registry.metrics());
}

function event(kind: OutcomeEvent['kind'], extra: Partial<OutcomeEvent> = {}): OutcomeEvent {
  return { workflowId: 'task/a2/t-1', agentId: 'a2', taskClass: 'ops', rung: 2, kind, ...extra };
}

const task = (agent: string, taskClass: string) => ({
  agent: { id: agent, model: 'm', promptVersion: 'p' },
  taskClass,
  title: 't',
  environment: 'staging',
  steps: [{ action: 'shell.exec', params: { command: 'true' } }],
});

describe('Ladder metrics', () => {
  it('follows Prometheus naming: ladder_ prefix, _total counters, _seconds histograms, snake_case labels', async () => {
    const metrics = createLadderMetrics();
    metrics.decision(decide(policy, null, task('a3', 'ops'), { countToday: 0, costTodayUsd: 0 }));
    metrics.outcome(event('approved', { latencyMs: 1 }));
    metrics.outcome(event('report-read', { latencyMs: 1 }));
    metrics.outcomeUnknown('shell.exec', 'undo');
    metrics.rungChange('demotion', 'ops', 'x');
    metrics.promotionProposal('ops', 'declined');
    metrics.classRollback('ops', 'x');
    metrics.slackApiError('chat.update', 'http_500');
    metrics.slackAck('block_actions', 0.1);
    metrics.apiRequest('/mcp', 200, 0.1);
    const families = await text(metrics);
    expect(families.size).toBe(12);
    for (const family of families.values()) {
      expect(family.name).toMatch(/^ladder_[a-z_]+$/);
      if (family.type === 'counter') expect(family.name).toMatch(/_total$/);
      else expect(family).toMatchObject({ type: 'histogram', name: expect.stringMatching(/_seconds$/) });
      expect(family.help).toBeTruthy();
      expect(family.samples.length).toBeGreaterThan(0);
      for (const sample of family.samples)
        for (const label of Object.keys(sample.labels)) expect(label).toMatch(/^[a-z]+(_[a-z]+)*$/);
    }
  });

  it('counts decisions by task class, rung and reason', async () => {
    const metrics = createLadderMetrics(undefined, { isDeclaredClass: declared });
    const usage = { countToday: 0, costTodayUsd: 0 };
    metrics.decision(decide(policy, null, task('a3', 'ops'), usage));
    metrics.decision(decide(policy, null, task('a3', 'ops'), usage));
    metrics.decision(decide(policy, null, task('a5', 'db'), usage)); // a5 has no rung in db: 0, earned
    metrics.decision(decide(policy, null, { ...task('a3', 'ops'), environment: 'production' }, usage));
    metrics.decision(decide(policy, null, task('a3', 'no-such-class'), usage));
    const families = await text(metrics);
    const decisions = (labels: Record<string, string>) =>
      sampleValue(families, 'ladder_decisions_total', labels);
    expect(decisions({ task_class: 'ops', rung: '3', reason: 'earned' })).toBe(2);
    expect(decisions({ task_class: 'db', rung: '0', reason: 'earned' })).toBe(1);
    expect(decisions({ task_class: 'ops', rung: '2', reason: 'bounds' })).toBe(1);
    // An agent's made-up class never becomes a series of its own.
    expect(decisions({ task_class: 'undeclared', rung: 'refused', reason: 'unknown-task-class' })).toBe(1);
    expect(families.get('ladder_decisions_total')!.samples).toHaveLength(4);
  });

  it('counts each outcome once per task however often it is recorded, and times answers', async () => {
    const metrics = createLadderMetrics(undefined, { isDeclaredClass: declared });
    metrics.outcome(event('approved', { by: 'U0APPR002', latencyMs: 90_000 }));
    metrics.outcome(event('approved', { by: 'U0APPR002', latencyMs: 90_000 })); // a retried activity
    metrics.outcome(event('executed'));
    metrics.outcome(event('rejected', { workflowId: 'task/a2/t-2', latencyMs: 4_000 }));
    metrics.outcome(event('report-read', { workflowId: 'task/a5/t-3', rung: 5, latencyMs: 7_200_000 }));
    metrics.outcome(event('sla-breach', { workflowId: 'task/a5/t-4', rung: 5, latencyMs: 3_600_000 }));
    // A digest records one outcome per class under the digest's id: each class counts.
    metrics.outcome(event('report-read', { workflowId: 'digest/q/a5/x', taskClass: 'fast', rung: 5 }));
    metrics.outcome(event('report-read', { workflowId: 'digest/q/a5/x', taskClass: 'digest', rung: 5 }));
    const families = await text(metrics);
    const outcomes = (outcome: string, rung = '2', taskClass = 'ops') =>
      sampleValue(families, 'ladder_task_outcomes_total', { task_class: taskClass, rung, outcome });
    expect(outcomes('approved')).toBe(1);
    expect(outcomes('executed')).toBe(1);
    expect(outcomes('rejected')).toBe(1);
    expect(outcomes('report-read', '5')).toBe(1);
    expect(outcomes('sla-breach', '5')).toBe(1);
    expect(outcomes('report-read', '5', 'fast')).toBe(1);
    expect(outcomes('report-read', '5', 'digest')).toBe(1);

    const answered = { task_class: 'ops', outcome: 'approved' };
    expect(sampleValue(families, 'ladder_answer_latency_seconds_count', answered)).toBe(1);
    expect(sampleValue(families, 'ladder_answer_latency_seconds_sum', answered)).toBe(90);
    expect(sampleValue(families, 'ladder_answer_latency_seconds_bucket', { ...answered, le: '60' })).toBe(0);
    expect(sampleValue(families, 'ladder_answer_latency_seconds_bucket', { ...answered, le: '120' })).toBe(1);
    expect(
      sampleValue(families, 'ladder_answer_latency_seconds_count', {
        task_class: 'ops',
        outcome: 'rejected',
      }),
    ).toBe(1);
    // Only answers are timed as answers; a breach is not a read.
    expect(families.get('ladder_answer_latency_seconds')!.samples.map((s) => s.labels.outcome)).not.toContain(
      'executed',
    );
    expect(sampleValue(families, 'ladder_report_read_latency_seconds_count', { task_class: 'ops' })).toBe(1);
    expect(sampleValue(families, 'ladder_report_read_latency_seconds_sum', { task_class: 'ops' })).toBe(7200);
  });

  it('counts rung changes, proposals and class rollbacks by bounded cause', async () => {
    const metrics = createLadderMetrics(undefined, { isDeclaredClass: declared });
    metrics.rungChange('demotion', 'ops', 'an unanticipated failure (sla-breach) drops 1 rung(s)');
    metrics.rungChange('demotion', 'ops', 'new model (m1 → m2): re-evaluation from rung 2');
    metrics.rungChange('promotion', 'ops', 'promotion approved (40 samples; 100% approved)');
    metrics.promotionProposal('ops', 'opened');
    metrics.promotionProposal('ops', 'approved');
    metrics.classRollback(
      'ops',
      'audit disagreement in ops is at least 40% (8 of 10), above the 5% rung 3 allows',
    );
    const families = await text(metrics);
    expect(
      sampleValue(families, 'ladder_rung_changes_total', {
        direction: 'demotion',
        task_class: 'ops',
        cause: 'sla-breach',
      }),
    ).toBe(1);
    expect(
      sampleValue(families, 'ladder_rung_changes_total', {
        direction: 'demotion',
        task_class: 'ops',
        cause: 'model-change',
      }),
    ).toBe(1);
    expect(
      sampleValue(families, 'ladder_rung_changes_total', {
        direction: 'promotion',
        task_class: 'ops',
        cause: 'approved',
      }),
    ).toBe(1);
    expect(
      sampleValue(families, 'ladder_promotion_proposals_total', { task_class: 'ops', status: 'opened' }),
    ).toBe(1);
    expect(
      sampleValue(families, 'ladder_promotion_proposals_total', { task_class: 'ops', status: 'approved' }),
    ).toBe(1);
    expect(
      sampleValue(families, 'ladder_class_rollbacks_total', {
        task_class: 'ops',
        cause: 'audit-disagreement',
      }),
    ).toBe(1);
  });

  it('counts Slack errors, ack times, outcome-unknown steps and API requests', async () => {
    const metrics = createLadderMetrics();
    metrics.slackApiError('chat.postMessage', 'ratelimited');
    metrics.slackApiError('chat.postMessage', 'ratelimited');
    metrics.slackApiError('https://slack.example/api/x', 'Weird Error With Spaces');
    metrics.slackAck('command', 0.02);
    metrics.outcomeUnknown('shell.exec', 'execute');
    metrics.apiRequest('/v1/tasks/{taskId}', 404, 0.003);
    metrics.apiRequest('/v1/tasks/{taskId}', 'aborted', 12);
    const families = await text(metrics);
    expect(
      sampleValue(families, 'ladder_slack_api_errors_total', {
        method: 'chat.postMessage',
        error: 'ratelimited',
      }),
    ).toBe(2);
    expect(sampleValue(families, 'ladder_slack_api_errors_total', { method: 'other', error: 'other' })).toBe(
      1,
    );
    expect(sampleValue(families, 'ladder_slack_ack_seconds_bucket', { kind: 'command', le: '0.025' })).toBe(
      1,
    );
    expect(sampleValue(families, 'ladder_slack_ack_seconds_bucket', { kind: 'command', le: '0.01' })).toBe(0);
    expect(
      sampleValue(families, 'ladder_outcome_unknown_total', { action: 'shell.exec', phase: 'execute' }),
    ).toBe(1);
    expect(
      sampleValue(families, 'ladder_api_requests_total', { route: '/v1/tasks/{taskId}', status: '404' }),
    ).toBe(1);
    expect(
      sampleValue(families, 'ladder_api_requests_total', { route: '/v1/tasks/{taskId}', status: 'aborted' }),
    ).toBe(1);
    expect(sampleValue(families, 'ladder_api_request_seconds_count', { route: '/v1/tasks/{taskId}' })).toBe(
      2,
    );
  });

  it('bounds task classes even without a policy: past 500 distinct ones, other', async () => {
    const metrics = createLadderMetrics();
    for (let i = 0; i < 501; i++) metrics.promotionProposal(`class-${i}`, 'opened');
    metrics.promotionProposal('class-0', 'opened');
    const families = await text(metrics);
    const samples = families.get('ladder_promotion_proposals_total')!.samples;
    expect(samples).toHaveLength(501);
    expect(
      sampleValue(families, 'ladder_promotion_proposals_total', { task_class: 'class-0', status: 'opened' }),
    ).toBe(2);
    expect(
      sampleValue(families, 'ladder_promotion_proposals_total', { task_class: 'other', status: 'opened' }),
    ).toBe(1);
  });
});
