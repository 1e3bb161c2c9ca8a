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
    maxWaiting: z
      .int({ message: 'expected a whole number ≥ 1' })
      .min(1, { message: 'expected a whole number ≥ 1' })
      .default(50)
      .meta({
        description:
          "tasks one agent may have waiting for a person's answer at once (approvals, suggestions, drafts); a submission over it over the HTTP API or MCP gets 429",
      }),
  })
  .meta({ description: "limits of the agents' HTTP API and MCP server" });

export type AgentApiPolicy = z.output<typeof agentApiSchema>;
