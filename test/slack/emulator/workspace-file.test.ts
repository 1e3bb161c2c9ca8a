import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTION_IDS } from '../../../slack/action-ids';
import { startSlackEmulator } from '../../../slack/emulator/server';
import { WorkspaceFileError } from '../../../slack/emulator/workspace-file';
import { messageText, startSlackRig, waitForMessage, type SlackRig } from '../../helpers/slack';
import { appendStep, submit, taskRequest, workflowTestPolicy } from '../../helpers/tasks';
import { waitUntil } from '../../helpers/wait';

const freshFile = (): string => join(mkdtempSync(join(tmpdir(), 'ladder-emulator-state-')), 'workspace.json');

describe('the Slack emulator workspace file', () => {
  it('keeps channels, messages, edits and metadata across a restart, and new ids never repeat old ones', async () => {
    const stateFile = freshFile();
    const first = await startSlackEmulator({ port: 0, stateFile, rateLimits: false });
    const posted = first.workspace.methods['chat.postMessage']({
      channel: '#ops',
      text: 'deploy?',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'deploy?' } }],
      metadata: { event_type: 'ladder_notification', event_payload: { key: 'task/a/1/request' } },
    }) as { channel: string; ts: string };
    first.workspace.methods['chat.update']({ channel: posted.channel, ts: posted.ts, text: 'deployed' });
    first.workspace.methods['chat.postEphemeral']({ channel: '#ops', user: 'U0APPR001', text: 'only you' });
    const dm = first.dmWith('U0APPR002');
    await first.close();

    const second = await startSlackEmulator({ port: 0, stateFile, rateLimits: false });
    try {
      expect(second.channelId('#ops')).toBe(posted.channel);
      expect(second.dmWith('U0APPR002')).toBe(dm);
      const [message, ephemeral] = second.messages('#ops');
      expect(message).toMatchObject({
        ts: posted.ts,
        text: 'deployed',
        edits: 1,
        metadata: { event_payload: { key: 'task/a/1/request' } },
      });
      expect(ephemeral).toMatchObject({ text: 'only you', ephemeralTo: 'U0APPR001' });
      const old = new Set([posted.channel, dm, posted.ts, ephemeral.ts]);
      const next = second.workspace.methods['chat.postMessage']({ channel: '#new', text: 'x' }) as {
        channel: string;
        ts: string;
      };
      expect(old.has(next.channel)).toBe(false);
      expect(old.has(next.ts)).toBe(false);
    } finally {
      await second.close();
    }
    // Closing saved the last change too.
    expect(
      JSON.parse(readFileSync(stateFile, 'utf8')).channels.map((c: { name: string }) => c.name),
    ).toContain('new');
  });

  it('refuses to start on a file that is not JSON, naming the file', async () => {
    const stateFile = freshFile();
    writeFileSync(stateFile, '{"version": 1, "channels": [');
    const started = startSlackEmulator({ port: 0, stateFile });
    await expect(started).rejects.toThrow(WorkspaceFileError);
    await expect(started).rejects.toThrow(`${stateFile} is not valid JSON`);
    // Nothing was overwritten: the person decides what to do with it.
    expect(readFileSync(stateFile, 'utf8')).toBe('{"version": 1, "channels": [');
  });

  it('refuses a file that is not a saved workspace, naming the field', async () => {
    const stateFile = freshFile();
    writeFileSync(
      stateFile,
      JSON.stringify({ version: 1, counter: 3, channels: [{ id: 'C1', name: 'ops' }], messages: {} }),
    );
    await expect(startSlackEmulator({ port: 0, stateFile })).rejects.toThrow(/channels\.0\.kind/);
  });
});

describe('a pending approval when the emulator restarts', () => {
  let rig: SlackRig;
  beforeAll(async () => {
    rig = await startSlackRig('emulator-restart', workflowTestPolicy(), { emulatorStateFile: freshFile() });
  });
  afterAll(async () => rig?.stop());

  it('keeps its message and buttons, and Approve still runs the task', async () => {
    const { handle, workflowId } = await submit(rig.stack, taskRequest('a2', 'ops', [appendStep('restart')]));
    const request = await waitForMessage(rig.emulator, '#ops', (m) => messageText(m).includes(workflowId));
    expect(messageText(request)).toContain(ACTION_IDS.approve);

    const emulator = await rig.restartEmulator();
    const kept = emulator.messages('#ops').find((m) => m.ts === request.ts);
    expect(kept?.blocks).toEqual(request.blocks);
    await emulator.click('U0APPR002', '#ops', request.ts, ACTION_IDS.approve);
    expect(await handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR002' });
    // The worker's edit of the request reaches the restarted emulator.
    await waitUntil(
      () =>
        !messageText(emulator.messages('#ops').find((m) => m.ts === request.ts)!).includes(
          ACTION_IDS.approve,
        ),
    );
  });
});
