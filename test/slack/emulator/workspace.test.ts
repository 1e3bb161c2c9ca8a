import { join } from 'node:path';
import { loadPolicyFile } from '../../../policy/loader';
import { scrubTokens } from '../../../slack/bolt-logger';
import { policyPeopleAndChannels } from '../../../slack/emulator/policy-people';
import { Workspace } from '../../../slack/emulator/workspace';

const modal = { type: 'modal', title: { type: 'plain_text', text: 'Reject' }, blocks: [] };

describe('emulated views', () => {
  it('opens a modal once per trigger id, for the user who triggered it, and refuses what Slack refuses', () => {
    const ws = new Workspace();
    expect(ws.methods['views.open']({ trigger_id: 'made-up', view: modal })).toEqual({
      ok: false,
      error: 'invalid_trigger_id',
    });
    const trigger = ws.issueTrigger('U0APPR001');
    const opened = ws.methods['views.open']({ trigger_id: trigger, view: modal }) as {
      ok: boolean;
      view: { id: string; hash: string };
    };
    expect(opened.ok).toBe(true);
    expect(ws.viewFor('U0APPR001')?.id).toBe(opened.view.id);
    expect(ws.viewFor('U0APPR002')).toBeUndefined();
    // A trigger id is good once.
    expect(ws.methods['views.open']({ trigger_id: trigger, view: modal })).toEqual({
      ok: false,
      error: 'invalid_trigger_id',
    });

    const long = { ...modal, title: { type: 'plain_text', text: 'A title much longer than Slack allows' } };
    expect(ws.methods['views.open']({ trigger_id: ws.issueTrigger('U0APPR001'), view: long })).toMatchObject({
      ok: false,
      error: 'invalid_arguments',
    });

    expect(ws.methods['views.update']({ view_id: opened.view.id, hash: 'stale', view: modal })).toEqual({
      ok: false,
      error: 'hash_conflict',
    });
    expect(
      ws.methods['views.update']({ view_id: opened.view.id, hash: opened.view.hash, view: modal }),
    ).toMatchObject({ ok: true });
    expect(ws.methods['views.update']({ view_id: 'V0NOPE', view: modal })).toEqual({
      ok: false,
      error: 'not_found',
    });
  });

  it('refuses messages past Block Kit limits with invalid_blocks', () => {
    const ws = new Workspace();
    expect(
      ws.methods['chat.postMessage']({
        channel: '#ops',
        text: 'x',
        blocks: Array(51).fill({ type: 'divider' }),
      }),
    ).toEqual({ ok: false, error: 'invalid_blocks', errors: ['too many blocks: 51 (max 50)'] });
    expect(ws.messages('#ops')).toEqual([]);
  });
});

describe('policyPeopleAndChannels', () => {
  it('lists everyone the policy names with their roles, and every class and report channel', () => {
    const policy = loadPolicyFile(join(__dirname, '..', '..', '..', 'examples', 'policy.yaml')).policy;
    const { users, channels } = policyPeopleAndChannels(policy);
    const ids = users.map((u) => u.id);
    for (const admin of policy.admins) expect(ids).toContain(admin);
    for (const agent of Object.values(policy.agents)) expect(ids).toContain(agent.owner);
    expect(users.find((u) => u.id === policy.admins[0])!.label).toContain('admin');
    for (const cls of Object.values(policy.taskClasses)) expect(channels).toContain(cls.channel);
    expect(channels[0]).toBe('#general');
  });
});

describe('scrubTokens', () => {
  it('removes anything shaped like a Slack token from a log line', () => {
    expect(scrubTokens('token=xoxb-123-456-abcDEF and xapp-1-A1-2-ff and xoxp-9')).toBe(
      'token=[redacted] and [redacted] and [redacted]',
    );
    expect(scrubTokens('no tokens here: xoxo, box-b')).toBe('no tokens here: xoxo, box-b');
  });
});
