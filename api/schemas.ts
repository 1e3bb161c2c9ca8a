import { z } from 'zod';
import { taskRequestSchema } from '../policy/task';
import type { TaskOutcome, TaskPhase } from '../workflows/messages';

// The agent API's request and response shapes. The server validates with these, and the OpenAPI
// document (api/openapi.ts) is generated from them, so the two cannot disagree.

/**
 * A task as an agent submits it: the task request without `agent`, because the agent is whoever
 * the bearer token belongs to. `model` and `promptVersion` default to the policy's declaration for
 * the agent; one that differs from it is refused at submission (`validateTaskRequest`), so the
 * trust ledger's model-change demotion follows the policy, not the agent's word.
 */
export const submitTaskBodySchema = taskRequestSchema.omit({ agent: true }).extend({
  model: z.string().min(1).optional().meta({
    description:
      "the model you run on; default, and the only value accepted: the policy's declaration for you (agents.<id>.model)",
  }),
  promptVersion: z.string().min(1).optional().meta({
    description:
      "your prompt version; default, and the only value accepted: the policy's declaration for you (agents.<id>.promptVersion)",
  }),
});
export type SubmitTaskBody = z.output<typeof submitTaskBodySchema>;

/** `?timeout=` of the long poll, in seconds. */
export const waitQuerySchema = z.strictObject({
  timeout: z
    .string()
    .regex(/^\d+$/, { message: 'expected whole seconds from 1 to 60' })
    .transform(Number)
    .refine((n) => n >= 1 && n <= 60, { message: 'expected whole seconds from 1 to 60' })
    .default(25)
    .meta({ description: 'seconds to wait for the task to finish (1-60, default 25)' }),
});

/** A task id in a path: the same rule as in the task request. */
export const taskIdSchema = taskRequestSchema.shape.taskId;

const PHASES = [
  'deciding',
  'awaiting-human',
  'executing',
  'health-watch',
  'rolling-back',
  'outcome-unknown',
  'awaiting-report-read',
  'done',
] as const satisfies readonly TaskPhase[];
const OUTCOMES = [
  'refused',
  'suggestion-done',
  'suggestion-dismissed',
  'draft-rejected',
  'executed',
  'rejected',
  'expired',
  'failed',
  'rolled-back',
  'rollback-failed',
  'cancelled',
] as const satisfies readonly TaskOutcome[];

const rung = z.int().min(0).max(5);

/** Why the task runs at its rung: the policy's decision, compact. */
export const decisionViewSchema = z.strictObject({
  taskClass: z.string(),
  effectiveRung: rung,
  earnedRung: rung,
  requestedRung: rung.nullable(),
  refused: z.strictObject({ rule: z.string(), message: z.string() }).nullable(),
  reasons: z.array(z.strictObject({ rule: z.string(), ceiling: rung, message: z.string() })),
  approvers: z.array(z.string()),
  twoPersonRule: z.boolean(),
  policyVersion: z.string(),
});
export type DecisionView = z.output<typeof decisionViewSchema>;

/** How a finished task ended. */
export const taskResultViewSchema = z.strictObject({
  outcome: z.enum(OUTCOMES),
  rung,
  executedSteps: z.int().min(0),
  approvedBy: z.string().nullable(),
  approvedAt: z.string().nullable(),
  reportRead: z.boolean().nullable(),
  error: z.string().nullable(),
});

/** A task as its agent sees it: where it is, what was decided, and how it ended. */
export const taskViewSchema = z.strictObject({
  taskId: z.string(),
  phase: z.enum(PHASES),
  done: z.boolean().meta({ description: 'true once the task has finished; `result` says how' }),
  rung: rung.nullable(),
  decision: decisionViewSchema.nullable(),
  waitingOn: z.string().nullable().meta({ description: 'who the task waits for, e.g. approvers: U1, U2' }),
  approvedBy: z.string().nullable(),
  currentStep: z.int().min(0),
  stepsTotal: z.int().min(0),
  events: z.array(z.string()),
  result: taskResultViewSchema.nullable(),
});
export type TaskView = z.output<typeof taskViewSchema>;

/** What `POST /v1/tasks` answers. */
export const submitResultSchema = z.strictObject({
  existing: z
    .boolean()
    .meta({ description: 'true when this task id was submitted before: nothing new started' }),
  task: taskViewSchema,
});
export type SubmitResult = z.output<typeof submitResultSchema>;

const criterionSchema = z.strictObject({ criterion: z.string(), detail: z.string() });

/** The agent's standing in one task class and what it still needs for the next rung. */
export const classRungSchema = z.strictObject({
  taskClass: z.string(),
  rung,
  declared: z
    .boolean()
    .meta({ description: "true when no evidence exists yet and the rung is the policy's" }),
  cap: rung,
  next: z
    .strictObject({
      rung,
      eligible: z.boolean(),
      proposal: z.strictObject({ id: z.string(), approvers: z.array(z.string()) }).nullable(),
      missing: z.array(criterionSchema),
      met: z.array(criterionSchema),
    })
    .nullable()
    .meta({ description: 'null at the top of the ladder' }),
});

/** `GET /v1/me/rungs`. */
export const rungsViewSchema = z.strictObject({
  agentId: z.string(),
  owner: z.string(),
  policyVersion: z.string(),
  classes: z.array(classRungSchema),
});
export type RungsView = z.output<typeof rungsViewSchema>;

/** RFC 9457 problem details. */
export const problemSchema = z.strictObject({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  errors: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
});
