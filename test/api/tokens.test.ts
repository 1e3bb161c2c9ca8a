import { resolve } from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { RunningApi } from '../../api/server';
import {
  AgentTokenError,
  createAgentToken,
  generateAgentToken,
  listAgentTokens,
  revokeAgentToken,
} from '../../client/agent-tokens';
import { agentTokensWorkflowId, tokenCreateUpdate } from '../../workflows/agent-token-messages';
import { workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { apiClient, newToken, operatorKey, startApi } from './helpers';
import { maybeRecordHistory } from '../helpers/histories';
import { runLadder } from '../helpers/cli';

// Agent tokens end to end: an admin's signed create/revoke on the real registry workflow, and two
// API server instances that both stop accepting a revoked token on the very next request.
const POLICY = resolve(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml');

describe('agent tokens', () => {
  let stack: TestStack;
  let one: RunningApi;
  let two: RunningApi;
  const callOne = apiClient(() => one.url);
  const callTwo = apiClient(() => two.url);

  beforeAll(async () => {
    stack = await startTestStack('api-tokens', { policy: workflowTestPolicy() });
    one = await startApi(stack);
    two = await startApi(stack);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await stack?.stop();
  });

  it('creates, lists (without hashes) and revokes; a revoked token is refused at once on both servers', async () => {
    const { token, tokenId } = await newToken(stack, 'a3');
    expect(token).toMatch(/^ldr_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect((await callOne('GET', '/v1/me/rungs', { token })).status).toBe(200);
    expect((await callTwo('GET', '/v1/me/rungs', { token })).status).toBe(200);

    const listed = await listAgentTokens(stack.client, stack.taskQueue, 'a3');
    expect(listed).toEqual([expect.objectContaining({ tokenId, agentId: 'a3', createdBy: 'U0ADMIN01' })]);
    expect(JSON.stringify(listed)).not.toContain('hash');

    await revokeAgentToken(
      stack.client,
      { taskQueue: stack.taskQueue, signer: operatorKey('U0ADMIN01') },
      { agentId: 'a3', tokenId, by: 'U0ADMIN01' },
    );
    for (const call of [callOne, callTwo]) {
      const refused = await call('GET', '/v1/me/rungs', { token });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(refused.body).toMatchObject({ status: 401, title: 'Missing, unknown or revoked agent token' });
    }
    expect((await listAgentTokens(stack.client, stack.taskQueue, 'a3'))[0].revokedAt).toEqual(
      expect.any(String),
    );
    maybeRecordHistory(
      stack.client.workflow.getHandle(agentTokensWorkflowId(stack.taskQueue)),
      'agentTokens',
      'created-revoked',
    );
  });

  it('refuses missing, malformed and forged tokens the same way', async () => {
    const { tokenId } = await newToken(stack, 'a2');
    const forged = `ldr_${tokenId}_${generateAgentToken().token.split('_').slice(2).join('_')}`;
    for (const token of [undefined, 'not-a-token', forged]) {
      const r = await callOne('GET', '/v1/me/rungs', { token });
      expect(r).toMatchObject({ status: 401, contentType: 'application/problem+json' });
    }
  });

  it('lets only admins create or revoke, and only with their own signed key', async () => {
    await expect(
      createAgentToken(
        stack.client,
        { taskQueue: stack.taskQueue, signer: operatorKey('U0APPR001') },
        { agentId: 'a3', by: 'U0APPR001' },
      ),
    ).rejects.toThrow(
      new AgentTokenError(
        'U0APPR001 is not an admin in policy ' +
          stack.policy.current.versionId +
          ': only admins manage agent tokens',
      ),
    );
    // Claiming to be the admin with someone else's key fails the proof.
    await expect(
      createAgentToken(
        stack.client,
        { taskQueue: stack.taskQueue, signer: operatorKey('U0APPR001') },
        { agentId: 'a3', by: 'U0ADMIN01' },
      ),
    ).rejects.toThrow(/cannot answer as U0ADMIN01/);
    // A raw update with a claimed id and no proof never reaches history.
    const made = generateAgentToken();
    await expect(
      stack.client.workflow
        .getHandle(agentTokensWorkflowId(stack.taskQueue))
        .executeUpdate(tokenCreateUpdate, {
          args: [{ agentId: 'a3', by: 'U0ADMIN01', tokenId: made.tokenId, hash: made.hash }],
        }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    await expect(
      createAgentToken(
        stack.client,
        { taskQueue: stack.taskQueue, signer: operatorKey('U0ADMIN01') },
        { agentId: 'nobody', by: 'U0ADMIN01' },
      ),
    ).rejects.toThrow(/unknown agent "nobody"/);
  });

  it('works from the CLI: ladder agent token create|list|revoke', async () => {
    const ladder = (...args: string[]) =>
      runLadder(
        { TEMPORAL_ADDRESS: stack.address, LADDER_TASK_QUEUE: stack.taskQueue, LADDER_POLICY_PATH: POLICY },
        ...args,
      );
    const created = await ladder('agent', 'token', 'create', 'a5', '--as', 'U0ADMIN01');
    expect(created.code).toBe(0);
    const token = created.out.trim();
    expect(token).toMatch(/^ldr_[0-9a-f]{16}_/);
    expect(created.err).toMatch(/not shown again/);
    const tokenId = token.split('_')[1];
    expect((await callOne('GET', '/v1/me/rungs', { token })).body.agentId).toBe('a5');

    const listed = await ladder('agent', 'token', 'list', 'a5');
    expect(listed.out).toContain(`${tokenId}  created`);
    // The secret is everything after the id: base64url may itself hold "_".
    const secret = token.slice(`ldr_${tokenId}_`.length);
    expect(secret).toHaveLength(43);
    expect(listed.out).not.toContain(secret);

    const refused = await ladder('agent', 'token', 'revoke', 'a5', tokenId, '--as', 'U0APPR001');
    expect(refused).toMatchObject({ code: 1 });
    expect(refused.err).toMatch(/^Refused: U0APPR001 is not an admin/);
    const revoked = await ladder('agent', 'token', 'revoke', 'a5', tokenId, '--as', 'U0ADMIN01');
    expect(revoked.code).toBe(0);
    expect((await callTwo('GET', '/v1/me/rungs', { token })).status).toBe(401);
  });
});
