import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { parseAgentToken } from '../client/agent-tokens';
import { createHttpAgentApi } from './http-agent-api';
import { guardStdioInput } from './request-guard';
import { createLadderMcpServer, LADDER_TOOLS } from './tools';

const envSchema = z.object({
  LADDER_API_URL: z.url({
    protocol: /^https?$/,
    message: 'expected the Ladder API URL, e.g. http://127.0.0.1:3200',
  }),
  LADDER_AGENT_TOKEN: z
    .string({ message: 'expected the agent token (ldr_…) an admin created with `ladder agent token create`' })
    .refine((t) => parseAgentToken(t) !== null, {
      message: 'expected a Ladder agent token (ldr_<id>_<secret>)',
    }),
});

/**
 * The MCP server over stdio, for agents that launch their tools as processes:
 * `LADDER_API_URL=… LADDER_AGENT_TOKEN=ldr_… node dist/mcp/stdio.js`. A thin client of the HTTP
 * API with the agent's token, never a Temporal client. Logs go to stderr (stdout is the protocol)
 * and never include the token.
 */
async function main(): Promise<void> {
  const parsed = envSchema.safeParse({
    LADDER_API_URL: process.env.LADDER_API_URL || undefined,
    LADDER_AGENT_TOKEN: process.env.LADDER_AGENT_TOKEN || undefined,
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      console.error(`Configuration error: ${String(issue.path[0])}: ${issue.message}`);
    process.exit(1);
  }
  const server = createLadderMcpServer(
    createHttpAgentApi(parsed.data.LADDER_API_URL, parsed.data.LADDER_AGENT_TOKEN),
  );
  // Lines the SDK would drop unanswered, close the session on, or parse lossily are answered here.
  const input = process.stdin.pipe(guardStdioInput((line) => process.stdout.write(line), LADDER_TOOLS));
  await server.connect(new StdioServerTransport(input, process.stdout));
  console.error(`Ladder MCP (stdio) using ${parsed.data.LADDER_API_URL}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
