import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  OutcomeUnknownError,
  type ActionHandler,
  type OutcomeResolution,
} from '../../activities/actions/contract';
import { BUILT_IN_ACTIONS, createActionRegistry } from '../../activities/actions/registry';
import { shellExec, type ShellExecParams, type ShellExecUndo } from '../../activities/actions/shell-exec';
import { ACTION_IDS, OUTCOME_ANSWER_ACTIONS } from '../../slack/action-ids';
import { maybeRecordHistory } from '../helpers/histories';
import { ephemeralsFor, messageText, startSlackRig, waitForMessage, type SlackRig } from '../helpers/slack';
import { submit, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { waitUntil } from '../helpers/wait';

// The owner answers an unknown outcome from Slack: the buttons reach the real app, which sends a
// signed answer the workflow checks. The worker's first attempt is made to report an unknown outcome
// (as the retry after a worker died inside the effect does: test/workflows/outcome-unknown.test.ts
// kills real workers); every later attempt runs the real shell.exec handler.
describe('answering an unknown outcome from Slack', () => {
  let rig: SlackRig;
  const resolutions: (OutcomeResolution | undefined)[] = [];
  const unknownFirst: ActionHandler<ShellExecParams, ShellExecUndo> = {
    ...shellExec,
    async execute(p, ctx) {
      resolutions.push(ctx.resolution);
      if (!ctx.resolution) {
        throw new OutcomeUnknownError(
          `\`${p.command}\`: an earlier attempt started it and never recorded how it ended`,
          'marker-1',
          p.undo !== undefined,
        );
      }
      return shellExec.execute(p, ctx);
    },
  };
  const effects = (): string[] => {
    const path = join(rig.stack.dirs.sandboxDir, 'effects.log');
    return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : [];
  };

  beforeAll(async () => {
    rig = await startSlackRig('slack-outcome', workflowTestPolicy(), {
      activityDeps: {
        registry: createActionRegistry([
          ...BUILT_IN_ACTIONS.filter((h) => h.type !== 'shell.exec'),
          unknownFirst,
        ]),
      },
    });
  });
  afterAll(async () => rig?.stop());

  it('asks the owner with buttons, refuses an outsider, and runs it again when the owner says so', async () => {
    const { emulator } = rig;
    const { handle, workflowId } = await submit(
      rig.stack,
      taskRequest('a3', 'ops', [
        { action: 'shell.exec', params: { command: 'echo via-slack >> effects.log', undo: 'true' } },
      ]),
    );
    await waitForStatus(handle, (s) => s.phase === 'outcome-unknown');
    const dm = emulator.dmWith('U0OWNER01');
    const question = await waitForMessage(
      emulator,
      dm,
      (m) => m.ephemeralTo === undefined && messageText(m).includes(ACTION_IDS['outcome-run-again']),
      'U0OWNER01',
    );
    const text = messageText(question);
    expect(text).toContain('Outcome unknown: did it run?');
    expect(text).toContain('never recorded how it ended');
    expect(text).toContain(ACTION_IDS['outcome-ran']);
    expect(text).toContain(ACTION_IDS['outcome-undo']);
    expect(text).toContain(`"value":"${workflowId}#q1"`);
    expect(effects()).toEqual([]);

    // Someone with no standing on this task: refused by the workflow, told so, nothing happens.
    await emulator.click('U0ESCAL01', dm, question.ts, ACTION_IDS['outcome-run-again']);
    await waitUntil(() => ephemeralsFor(emulator, dm, 'U0ESCAL01').some((t) => t.startsWith('Refused:')));
    expect(ephemeralsFor(emulator, dm, 'U0ESCAL01').join('\n')).toMatch(/neither the agent's owner/);
    expect((await handle.describe()).status.name).toBe('RUNNING');

    await emulator.click('U0OWNER01', dm, question.ts, ACTION_IDS['outcome-run-again']);
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'executed', executedSteps: 1 });
    expect(effects()).toEqual(['via-slack']);
    expect(resolutions).toEqual([undefined, { answer: 'run-again', marker: 'marker-1' }]);
    maybeRecordHistory(handle, 'delegatedTask', 'rung3-outcome-unknown-run-again');
    expect(ephemeralsFor(emulator, dm, 'U0OWNER01').join('\n')).toMatch(
      /Recorded: run-again by <@U0OWNER01>/,
    );
    // The question's message now says who answered what, and offers no more buttons.
    await waitUntil(() => {
      const now = emulator.messages(dm).find((m) => m.ts === question.ts)!;
      return (
        messageText(now).includes('U0OWNER01 answered "run it again"') &&
        !Object.values(OUTCOME_ANSWER_ACTIONS).some((a) => messageText(now).includes(ACTION_IDS[a]))
      );
    });
  });
});
