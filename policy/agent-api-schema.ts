import { z } from 'zod';

/**
 * The agent-facing API's limits (top-level `agentApi` in the policy). A limit lives in the policy,
 * not in env, so that the admins who grant agents autonomy also decide how hard agents may knock.
 */
export const agentApiSchema = z
  .strictObject({
    requestsPerMinute: z
      .int({ message: 'expected a whole number ≥ 1' })
      .min(1, { message: 'expected a whole number ≥ 1' })
      .default(60)
      .meta({
        description: 'requests one agent may make per minute over the HTTP API and MCP (429 above it)',
      }),
  })
  .meta({ description: "limits of the agents' HTTP API and MCP server" });

export type AgentApiPolicy = z.output<typeof agentApiSchema>;
