import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { ACTION_IDS } from '../../slack/action-ids';
import { parseTaskModalMetadata } from '../../slack/blocks/modals';
import { shownHash, shownMessageOf } from '../../slack/shown-message';
import { messageText, startSlackRig, waitForMessage, type SlackRig } from '../helpers/slack';
import { appendStep, submit, taskRequest, workflowTestPolicy } from '../helpers/tasks';
import { waitUntil } from '../helpers/wait';

describe('shownMessageOf', () => {
  const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'deploy?' } }];
  it('names the message clicked and hashes exactly what it showed', () => {
    const shown = shownMessageOf({
      channel: { id: 'C1' },
      message: { ts: '1.000001', text: 'deploy?', blocks },
    });
    expect(shown).toEqual({ ref: 'C1/1.000001', sha256: shownHash({ text: 'deploy?', blocks }) });
    // Any change to what was shown changes the hash; key order does not.
    expect(shownHash({ text: 'deploy!', blocks })).not.toBe(shown!.sha256);
    expect(shownHash({ blocks, text: 'deploy?' })).toBe(shown!.sha256);
  });
  it("keeps a well-formed reference in a modal's metadata and drops a malformed one", () => {
    const shown = { ref: 'C1/1.000001', sha256: 'a'.repeat(64) };
    expect(parseTaskModalMetadata(JSON.stringify({ workflowId: 'task/a/1', shown }))).toEqual({
      workflowId: 'task/a/1',
      shown,
    });
    expect(
      parseTaskModalMetadata(JSON.stringify({ workflowId: 'task/a/1', shown: { ref: 'x', sha256: 'nope' } })),
    ).toEqual({ workflowId: 'task/a/1' });
  });

  it('names an App Home view, and nothing for a payload with neither', () => {
    expect(shownMessageOf({ view: { id: 'V1', type: 'home', blocks } })).toMatchObject({ ref: 'home/V1' });
    expect(shownMessageOf({ user: { id: 'U1' } })).toBeUndefined();
  });
});

/** The arguments of the accepted update `name` in the task's history. */
async function updateArgs(handle: WorkflowHandle, name: string): Promise<Record<string, unknown>> {
  const accepted = ((await handle.fetchHistory()).events ?? [])
    .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes)
    .find((a) => a?.acceptedRequest?.input?.name === name);
  const [args] = (accepted!.acceptedRequest!.input!.args!.payloads ?? []).map((p) =>
    defaultPayloadConverter.fromPayload<Record<string, unknown>>(p as never),
  );
  return args;
}

// An Approve click's answer carries, signed with it, which message it was given to and a hash of
// what that message showed; the workflow's history keeps it for an audit.
describe('what an approver saw, recorded with the answer', () => {
  let rig: SlackRig;
  beforeAll(async () => {
    rig = await startSlackRig('shown-message', workflowTestPolicy());
  });
  afterAll(async () => rig?.stop());

  it('records the clicked message and its hash in the approval', async () => {
    const { handle, workflowId } = await submit(rig.stack, taskRequest('a2', 'ops', [appendStep('shown')]));
    const request = await waitForMessage(
      rig.emulator,
      '#ops',
      (m) => messageText(m).includes(workflowId) && messageText(m).includes(ACTION_IDS.approve),
    );
    await rig.emulator.click('U0APPR002', '#ops', request.ts, ACTION_IDS.approve);
    expect(await handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR002' });

    const args = await updateArgs(handle, 'approve');
    expect(args.shown).toEqual({
      ref: `${rig.emulator.channelId('#ops')}/${request.ts}`,
      sha256: shownHash({ text: request.text, blocks: request.blocks }),
    });
    // Signed with the answer: the proof covers it.
    expect(args.proof).toBeDefined();
  });

  it('carries it through the Reject modal to the rejection', async () => {
    const { handle, workflowId } = await submit(
      rig.stack,
      taskRequest('a2', 'ops', [appendStep('shown-reject')]),
    );
    const request = await waitForMessage(
      rig.emulator,
      '#ops',
      (m) => messageText(m).includes(workflowId) && messageText(m).includes(ACTION_IDS.reject),
    );
    await rig.emulator.click('U0APPR002', '#ops', request.ts, ACTION_IDS.reject);
    await waitUntil(() => rig.emulator.viewFor('U0APPR002') !== undefined);
    await rig.emulator.submitView('U0APPR002', { reason: 'not today' });
    expect(await handle.result()).toMatchObject({ outcome: 'rejected' });
    expect((await updateArgs(handle, 'reject')).shown).toEqual({
      ref: `${rig.emulator.channelId('#ops')}/${request.ts}`,
      sha256: shownHash({ text: request.text, blocks: request.blocks }),
    });
  });
});
