import type { Notification } from '../../../activities/notify/notifier';
import { RecordingNotifier } from '../../../activities/notify/recording';

const note = (workflowId: string): Notification => ({
  kind: 'approval-request',
  workflowId,
  agentId: 'a2',
  taskClass: 'ops',
  channel: '#ops',
  title: 'Deploy',
  text: 'Needs your approval',
});

describe('RecordingNotifier duplicates', () => {
  it('lands a late copy of a key and removes every copy but the one kept', async () => {
    const notifier = new RecordingNotifier();
    const { ref: held } = await notifier.post('t-1/approval', note('t-1'));
    const { ref: other } = await notifier.post('t-2/approval', note('t-2'));
    const late = notifier.addLateCopy('t-1/approval');
    expect(late).not.toBe(held);
    expect(notifier.forWorkflow('t-1').map((p) => p.ref)).toEqual([held, late]);
    // A repeated post returns the oldest copy, as the Slack notifier adopts.
    expect(await notifier.post('t-1/approval', note('t-1'))).toEqual({ ref: held });

    expect(await notifier.removeDuplicates('t-1/approval', held)).toBe(1);
    expect(notifier.posted.map((p) => p.ref)).toEqual([held, other]);
    expect(notifier.removed.map((p) => p.ref)).toEqual([late]);
    expect(await notifier.removeDuplicates('t-1/approval', held)).toBe(0);
    // Refs are never reused after a removal.
    expect(notifier.addLateCopy('t-2/approval')).not.toBe(late);
  });

  it('keeps the newer copy when that is the one held', async () => {
    const notifier = new RecordingNotifier();
    const { ref: first } = await notifier.post('k', note('t-1'));
    const held = notifier.addLateCopy('k');
    expect(await notifier.removeDuplicates('k', held)).toBe(1);
    expect(notifier.posted.map((p) => p.ref)).toEqual([held]);
    expect(notifier.removed.map((p) => p.ref)).toEqual([first]);
  });

  it('refuses, deleting nothing, when the ref to keep is not a copy of the key', async () => {
    const notifier = new RecordingNotifier();
    const { ref } = await notifier.post('k', note('t-1'));
    const { ref: otherKey } = await notifier.post('j', note('t-2'));
    notifier.addLateCopy('k');
    await expect(notifier.removeDuplicates('k', otherKey)).rejects.toThrow(
      `removeDuplicates: the message to keep (${otherKey}) is not a copy of key k`,
    );
    expect(notifier.posted).toHaveLength(3);
    expect(() => notifier.addLateCopy('never-posted')).toThrow(/nothing posted under key never-posted/);
    notifier.failNext(1);
    await expect(notifier.removeDuplicates('k', ref)).rejects.toThrow(/injected failure/);
    expect(await notifier.removeDuplicates('k', ref)).toBe(1);
  });
});
