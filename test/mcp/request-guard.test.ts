import { createHttpAgentApi } from '../../mcp/http-agent-api';
import { bodyRefusal } from '../../mcp/request-guard';

// The MCP request guard on its own: what it refuses before a batch reaches the SDK.
describe('MCP request guard', () => {
  const list = (id: number | string) => ({ jsonrpc: '2.0', id, method: 'tools/list' });

  it('refuses a batch in which two requests share an id, so nothing in it runs unanswered', () => {
    expect(bodyRefusal([list(7), list(8)], ['request_action'])).toBeNull();
    const refused = bodyRefusal([list(7), list(8), list(7)], ['request_action']);
    expect(Array.isArray(refused)).toBe(true);
    const answers = refused as { id: unknown; error: { code: number; message: string } }[];
    expect(answers.map((a) => [a.id, a.error.code])).toEqual([
      [7, -32600],
      [8, -32600],
      [7, -32600],
    ]);
    expect(answers[0].error.message).toBe(
      'id 7 is used by more than one request in this batch; nothing in it was done: give each request its own id',
    );
  });
});

describe('the stdio MCP server’s client of the agent API', () => {
  it('refuses a task id that is not one before it becomes a path: fetch would resolve . and ..', async () => {
    const api = createHttpAgentApi('http://127.0.0.1:9', 'ldr_x_y'); // nothing listens: nothing may be sent
    for (const id of ['.', '..', 'a/b'])
      await expect(api.get(id)).rejects.toMatchObject({
        status: 404,
        detail: `you have no task "${id}"`,
      });
  });
});
