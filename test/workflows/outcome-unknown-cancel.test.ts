import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OutcomeUnknownError, type ActionHandler } from '../../activities/actions/contract';
import { BUILT_IN_ACTIONS, createActionRegistry } from '../../activities/actions/registry';
import { shellExec, type ShellExecParams, type ShellExecUndo } from '../../activities/actions/shell-exec';
import { statusQuery } from '../../workflows/messages';
import { submit, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';

// A task cancelled while it asks whether a step ran: the step may have taken effect and nobody said.
// It is neither undone blindly nor forgotten: the rollback reports it as an incident to repair by
// hand, the question's message stops offering answers, and the status no longer asks.
describe('cancelled while an outcome-unknown question is open', () => {
  let stack: TestStack;
  // The step's effect lands, then its attempt "dies": the retry can only report an unknown outcome
  // (test/workflows/outcome-unknown.test.ts does this with real SIGKILLed workers).
  const dying: ActionHandler<ShellExecParams, ShellExecUndo> = {
    ...shellExec,
    async execute(p, ctx) {
      if (p.command.includes('UNKNOWN') && !ctx.resolution) {
        appendFileSync(join(ctx.sandboxDir, 'effects.log'), 'two\n');
        throw new OutcomeUnknownError(
          '`two`: an earlier attempt started it and never recorded how it ended',
          'm-1',
          true,
        );
      }
      return shellExec.execute(p, ctx);
    },
  };
  const effects = (): string[] => {
    const path = join(stack.dirs.sandboxDir, 'effects.log');
    return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : [];
  };
  beforeAll(async () => {
    stack = await startTestStack('unknown-cancel', {
      policy: workflowTestPolicy(),
      activityDeps: {
        registry: createActionRegistry([...BUILT_IN_ACTIONS.filter((h) => h.type !== 'shell.exec'), dying]),
      },
    });
  });
  afterAll(async () => stack?.stop());

  it('rung 4 undoes what is known to have run and reports the unknown step as an incident', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a4', 'ops', [
        {
          action: 'shell.exec',
          params: { command: 'echo one >> effects.log', undo: 'echo undo-one >> effects.log' },
        },
        { action: 'shell.exec', params: { command: 'echo UNKNOWN', undo: 'echo undo-two >> effects.log' } },
      ]),
    );
    await waitForStatus(handle, (s) => s.phase === 'outcome-unknown');
    await handle.cancel();
    expect((await handle.result()).outcome).toBe('cancelled');

    // Step 1 ran and is undone; step 2's effect stays for a person (no blind undo, no pretending).
    expect(effects()).toEqual(['one', 'two', 'undo-one']);
    const status = await handle.query(statusQuery);
    expect(status).toMatchObject({
      phase: 'done',
      outcome: 'cancelled',
      outcomeUnknown: null,
      waitingOn: null,
    });
    expect(status.events.join('\n')).toMatch(/cancelled while asking whether step 2 \(shell\.exec\) ran/);
    expect(status.events.join('\n')).toMatch(
      /rollback failed: step 2: its outcome was still unknown when the task was cancelled/,
    );

    const question = stack.notifier.posted.find((m) => m.key === `${workflowId}/outcome-unknown-q1`)!;
    expect(question.notification.actions).toEqual(['outcome-ran', 'outcome-run-again', 'outcome-undo']);
    expect(question.updates.at(-1)).toMatchObject({ actions: [] });
    expect(question.updates.at(-1)!.text).toMatch(/cancelled before anyone said whether it ran/);
    const incident = stack.notifier.posted.find((m) => m.key === `${workflowId}/rollback-failed`)!;
    expect(incident.notification.to).toBe('U0OWNER01');
    expect(incident.notification.text).toMatch(
      /^INCIDENT: rollback failed \(step 2: its outcome was still unknown/,
    );
  });
});
