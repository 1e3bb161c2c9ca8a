import { createActionRegistry } from '../../activities/actions/registry';
import { closestName } from '../../policy/checks';
import { KNOWN_ACTIONS } from '../../policy/known-actions';
import { parsePolicy } from '../../policy/loader';
import type { PolicyProblem } from '../../policy/checks';
import { examplePolicyText } from '../helpers/example-policy';

const exampleText = examplePolicyText();

/** The example policy with `from` replaced by `to` (exactly once), and the 1-based line `to` ends up on. */
function edited(from: string, to: string): { text: string; line: number } {
  expect(exampleText.split(from)).toHaveLength(2);
  const text = exampleText.replace(from, to);
  return { text, line: text.slice(0, text.indexOf(to)).split('\n').length };
}

/** Expects the example policy, with `from` edited to `to`, to be refused with this one error at that line. */
function expectRefused(from: string, to: string, path: string, message: unknown): void {
  const { text, line } = edited(from, to);
  expect(errorsOf(text)).toEqual([{ path, message, line }]);
}

function errorsOf(text: string): PolicyProblem[] {
  const result = parsePolicy(text, 'semantic.yaml');
  if (result.ok) throw new Error('expected the policy to be refused');
  return result.errors;
}

function warningsOf(text: string): PolicyProblem[] {
  const result = parsePolicy(text, 'semantic.yaml');
  if (!result.ok) throw new Error(`expected the policy to load: ${JSON.stringify(result.errors)}`);
  return result.warnings;
}

describe('semantic policy checks', () => {
  it('KNOWN_ACTIONS lists exactly the action types the registry handles', () => {
    expect([...KNOWN_ACTIONS]).toEqual(createActionRegistry().types());
  });

  it('refuses a top-level pin naming an action that does not exist, suggesting the nearest', () => {
    const { text, line } = edited(
      'when: { actions: [shell.exec], environments: [production] }',
      'when: { actions: [shell.exce], environments: [production] }',
    );
    expect(errorsOf(text)).toEqual([
      {
        path: 'pins[0].when.actions[0]',
        message:
          'unknown action type "shell.exce" (known: config.set, file.write, http.request, shell.exec); did you mean "shell.exec"?',
        line,
      },
    ]);
  });

  it('refuses a class pin naming an unknown action, and one outside the class', () => {
    const { text, line } = edited(
      'when: { environments: [production] }\n        maxRung: 2\n        reason: production deploys',
      'when: { actions: [http.requets, file.write] }\n        maxRung: 2\n        reason: production deploys',
    );
    expect(errorsOf(text)).toEqual([
      {
        path: 'taskClasses.deploy.pins[0].when.actions[0]',
        message: expect.stringMatching(
          /^unknown action type "http\.requets" .*; did you mean "http\.request"\?$/,
        ),
        line,
      },
      {
        path: 'taskClasses.deploy.pins[0].when.actions[1]',
        message: '"file.write" is not one of this class\'s actions (http.request, shell.exec)',
        line,
      },
    ]);
  });

  it('refuses a class action Ladder has no handler for, which would refuse every task using it', () => {
    const { text, line } = edited(
      '    actions: [shell.exec, file.write]\n',
      '    actions: [shell.exce, file.write]\n',
    );
    expect(errorsOf(text)).toContainEqual({
      path: expect.stringMatching(/^taskClasses\.[a-z-]+\.actions\[0\]$/),
      message:
        'unknown action type "shell.exce" (known: config.set, file.write, http.request, shell.exec); did you mean "shell.exec"?',
      line,
    });
  });

  it('refuses bounds naming an action outside the class, suggesting the class action meant', () => {
    const { text, line } = edited('      actions: [config.set]\n', '      actions: [config.sett]\n');
    expect(errorsOf(text)).toEqual([
      {
        path: 'taskClasses.config-change.bounds.actions[0]',
        message:
          '"config.sett" is not one of this class\'s actions (config.set, file.write); did you mean "config.set"?',
        line,
      },
    ]);
  });

  it('refuses a step price for an action the bounds do not let run, suggesting the bounded one', () => {
    const { text, line } = edited('stepCostUsd: { config.set: 0.25 }', 'stepCostUsd: { file.write: 0.25 }');
    expect(errorsOf(text)).toEqual([
      {
        path: 'taskClasses.config-change.bounds.stepCostUsd.file.write',
        message:
          '"file.write" is not in bounds.actions (config.set): its steps never run within bounds, so a price means nothing',
        line,
      },
    ]);
  });

  it('warns when a daily budget bounds only what agents declare, and when a price can never fit it', () => {
    const unpriced = edited(
      '      stepCostUsd: { config.set: 0.25 } # each step is charged at least this, whatever the agent declares\n',
      '',
    );
    expect(warningsOf(unpriced.text)).toEqual([
      {
        path: 'taskClasses.config-change.bounds.perDay.costUsd',
        message:
          'perDay.costUsd ($10) bounds only what agents declare for config.set: an agent that declares no cost is charged $0. Give each a price in bounds.stepCostUsd (e.g. stepCostUsd: { config.set: 0.5 })',
        line: expect.any(Number),
      },
    ]);
    const zeroBudget = edited(
      '      perDay: { count: 5, costUsd: 0 }\n',
      '      perDay: { count: 5, costUsd: 0 }\n      stepCostUsd: { http.request: 0.1 }\n',
    );
    expect(warningsOf(zeroBudget.text)).toEqual([
      {
        path: 'taskClasses.deploy.bounds.stepCostUsd.http.request',
        message:
          'each http.request step costs $0.1 but perDay.costUsd is 0: no http.request step ever runs within bounds',
        line: zeroBudget.line + 1,
      },
    ]);
  });

  it('warns about a bounds.requests entry on a host bounds.hosts does not list: it allows nothing', () => {
    const { text, line } = edited(
      '        - POST http://127.0.0.1:4100/deploys\n',
      '        - POST http://deploy.internal/deploys\n',
    );
    expect(warningsOf(text)).toEqual([
      {
        path: 'taskClasses.deploy.bounds.requests[0]',
        message:
          'host "deploy.internal" is not in bounds.hosts (127.0.0.1:4100): no step may call it, so this entry allows nothing',
        line,
      },
    ]);
  });

  it('refuses an undeclared group and an unknown agent, with suggestions', () => {
    const group = edited('approvers: { groups: [dba] }', 'approvers: { groups: [dab] }');
    expect(errorsOf(group.text)).toEqual([
      {
        path: 'taskClasses.db-migration.approvers.groups[0]',
        message: 'unknown group "dab" (declare it under groups); did you mean "dba"?',
        line: group.line,
      },
    ]);
    const agent = edited(
      'killSwitch: { engaged: false, cap: 0 }',
      'killSwitch: { engaged: false, cap: 0, agents: [ops-agnet] }',
    );
    expect(errorsOf(agent.text)).toEqual([
      {
        path: 'killSwitch.agents[0]',
        message: 'unknown agent "ops-agnet"; did you mean "ops-agent"?',
        line: agent.line,
      },
    ]);
    const rung = edited('rungs: { deploy: 4, config-change: 3 }', 'rungs: { deploy: 4, config-chnage: 3 }');
    expect(errorsOf(rung.text)).toEqual([
      {
        path: 'agents.release-agent.rungs.config-chnage',
        message: expect.stringMatching(
          /^unknown task class "config-chnage" .*; did you mean "config-change"\?$/,
        ),
        line: rung.line,
      },
    ]);
  });

  it('refuses remindAfter that is not before expireAfter', () => {
    const { text, line } = edited('remindAfter: 15m, expireAfter: 2h', 'remindAfter: 2h, expireAfter: 2h');
    expect(errorsOf(text)).toEqual([
      {
        path: 'taskClasses.deploy.approval.remindAfter',
        message:
          'expected remindAfter (2h) to be shorter than expireAfter (2h): the reminder would never be sent',
        line,
      },
    ]);
  });

  it('refuses a healthInterval longer than the healthWindow', () => {
    expectRefused(
      'rollback: { healthWindow: 30s, healthInterval: 5s }',
      'rollback: { healthWindow: 30s, healthInterval: 1m }',
      'taskClasses.deploy.rollback.healthInterval',
      'expected healthInterval (1m) to be at most healthWindow (30s): health would never be checked inside the window',
    );
  });

  it('refuses an answer life shorter than a frontend retries one answer', () => {
    expectRefused(
      'ttl: 15m',
      'ttl: 15ms',
      'answers.ttl',
      expect.stringMatching(
        /^expected at least 1m: a signed answer is sent again for up to a minute when Temporal does not confirm it, and would be refused as expired/,
      ),
    );
    expect(parsePolicy(edited('ttl: 15m', 'ttl: 1m').text, 'semantic.yaml').ok).toBe(true);
  });

  it('refuses a health watch that would never end or outgrow the task history', () => {
    expectRefused(
      'rollback: { healthWindow: 30s, healthInterval: 5s }',
      'rollback: { healthWindow: 30s, healthInterval: 0s }',
      'taskClasses.deploy.rollback.healthInterval',
      'expected a healthInterval above 0: the health watch would never end',
    );
    expectRefused(
      'rollback: { healthWindow: 30s, healthInterval: 5s }',
      'rollback: { healthWindow: 365d, healthInterval: 1ms }',
      'taskClasses.deploy.rollback.healthInterval',
      'expected at most 120 health checks per window: healthWindow 365d at healthInterval 1ms makes 31536000000; lengthen the interval',
    );
    // 10 minutes at 5 s is 120 checks: the most allowed.
    const longest = edited(
      'rollback: { healthWindow: 30s, healthInterval: 5s }',
      'rollback: { healthWindow: 10m, healthInterval: 5s }',
    );
    expect(parsePolicy(longest.text, 'semantic.yaml').ok).toBe(true);
  });

  it('warns when the read SLA outlasts the escalation chain, saying what happens after it', () => {
    const { text, line } = edited('readSla: 4h,', 'readSla: 12h,');
    expect(warningsOf(text)).toEqual([
      {
        path: 'taskClasses.config-change.report.readSla',
        message: expect.stringContaining(
          'readSla (12h) is longer than the escalation chain, whose last step is after 8h: after that ping nobody else is notified',
        ),
        line,
      },
    ]);
  });

  it('refuses pins and bounds naming an undeclared environment, suggesting the declared one', () => {
    const bounds = edited('environments: [dev, staging]', 'environments: [dev, stagin]');
    expect(errorsOf(bounds.text)).toEqual([
      {
        path: 'taskClasses.config-change.bounds.environments[1]',
        message: 'unknown environment "stagin" (declared: dev, staging, production); did you mean "staging"?',
        line: bounds.line,
      },
    ]);
    const pin = edited('when: { environments: [production] }', 'when: { environments: [prod] }');
    expect(errorsOf(pin.text)).toEqual([
      {
        path: 'taskClasses.deploy.pins[0].when.environments[0]',
        message:
          'unknown environment "prod" (declared: dev, staging, production); did you mean "production"?',
        line: pin.line,
      },
    ]);
  });

  it('warns, without refusing, when the policy declares no environments', () => {
    const { text } = edited('environments: [dev, staging, production]\n', '');
    // What environments own means nothing without them (refused: environment-targets.test.ts).
    expect(warningsOf(text.replace(/^environmentTargets:\n(?: .*\n)*/m, ''))).toEqual([
      {
        path: 'environments',
        message: expect.stringContaining('no environments declared'),
        line: expect.any(Number),
      },
    ]);
  });

  it('suggests only names that are close or abbreviated', () => {
    expect(closestName('prod', ['dev', 'staging', 'production'])).toBe('production');
    expect(closestName('shell.exce', ['shell.exec', 'file.write'])).toBe('shell.exec');
    expect(closestName('nobody', ['sre', 'dba'])).toBeUndefined();
    expect(closestName('x', [])).toBeUndefined();
  });
});
