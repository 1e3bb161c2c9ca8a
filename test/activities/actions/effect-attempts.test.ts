import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beginEffect } from '../../../activities/actions/undo-journal';

// The markers a Slack post leaves: whether a retry must look for an earlier attempt's copy.
describe('beginEffect', () => {
  const dir = (): string => mkdtempSync(join(tmpdir(), 'ladder-attempts-'));

  it('vouches that nothing happened only after a refusal, with no attempt unfinished', () => {
    const state = dir();
    const first = beginEffect(state, 'notify:k');
    expect(first).toMatchObject({ earlierUnfinished: false, refusedBefore: false });
    first.endRefused();
    const second = beginEffect(state, 'notify:k');
    expect(second).toMatchObject({ earlierUnfinished: false, refusedBefore: true });
    second.end();
    expect(beginEffect(state, 'notify:k')).toMatchObject({ earlierUnfinished: false, refusedBefore: false });
  });

  it('forgets a refusal as the next attempt begins: one that posts and dies leaves none behind', () => {
    const state = dir();
    beginEffect(state, 'notify:k').endRefused();
    beginEffect(state, 'notify:k'); // posts, then its worker dies: neither end() nor endRefused()
    expect(beginEffect(state, 'notify:k')).toMatchObject({ earlierUnfinished: true, refusedBefore: false });
  });

  it('keeps an unfinished attempt unanswered through a later refusal', () => {
    const state = dir();
    beginEffect(state, 'notify:k'); // dies mid-post
    const refused = beginEffect(state, 'notify:k');
    expect(refused.earlierUnfinished).toBe(true);
    refused.endRefused();
    expect(beginEffect(state, 'notify:k')).toMatchObject({ earlierUnfinished: true, refusedBefore: false });
  });
});
