import { SLACK_USER_ID } from './slack-ids';
import { z } from 'zod';
import { MAX_STEPS, MAX_TITLE_CHARS } from './limits';
import { rungSchema } from './schema';

/**
 * A task an agent asks Ladder to run: validated at every boundary (client, CLI, Slack) before a
 * workflow starts, so a workflow never sees a malformed request. Size limits (steps, params bytes,
 * request bytes), NUL characters anywhere and hidden characters (controls, bidirectional overrides)
 * in the title and resource are in {@link ./limits}; `validateTaskRequest` checks them first.
 */
export const taskRequestSchema = z.strictObject({
  taskId: z.string({ message: 'expected a task id' }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, {
    message: 'expected letters, digits, ".", "_" or "-" (at most 128)',
  }),
  agent: z.strictObject({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/, { message: 'expected an agent id as declared in the policy' }),
    model: z.string().min(1, { message: 'expected the model name' }),
    promptVersion: z.string().min(1, { message: 'expected the prompt version' }),
  }),
  taskClass: z.string().min(1, { message: 'expected a task class' }),
  title: z
    .string()
    .min(1, { message: 'expected a title' })
    .max(MAX_TITLE_CHARS, { message: `expected at most ${MAX_TITLE_CHARS} characters` }),
  requester: z.string().regex(SLACK_USER_ID, { message: 'expected the Slack user id of whoever asked' }),
  environment: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, { message: 'expected an environment name such as staging' }),
  resource: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'what the task changes; the name an approver types when typed confirmation is on' }),
  requestedRung: z
    .strictObject({
      rung: rungSchema,
      reason: z.string().min(1, { message: 'expected a reason for asking a lower rung' }),
    })
    .optional(),
  steps: z
    .array(
      z.strictObject({
        action: z.string().min(1, { message: 'expected an action type such as config.set' }),
        params: z.record(z.string(), z.unknown()),
        costUsd: z.number().min(0, { message: 'expected a cost ≥ 0' }).optional(),
      }),
    )
    .min(1, { message: 'expected at least one step' })
    .max(MAX_STEPS, { message: `expected at most ${MAX_STEPS} steps per task` }),
});

export type TaskRequest = z.output<typeof taskRequestSchema>;
