import { EDIT_RULES } from './step-edits';
import { SLACK_USER_ID } from './slack-ids';
import { z } from 'zod';
import { agentApiSchema } from './agent-api-schema';
import { answersSchema } from './answers-schema';
import { credentialsSchema } from './credentials-schema';
import { environmentTargetsSchema } from './environment-targets';
import { DURATION_PATTERN, parseDuration } from './duration';
import { policyGuardSchema } from './policy-guard-schema';
import { REQUEST_BOUND } from './request-bounds';

// Every object is strict: an unknown key is an error, so a typo never silently disables a bound.

/** The six rungs of the ladder. */
export const RUNG_NAMES = ['suggest', 'draft', 'confirm', 'bounded', 'rollback', 'report'] as const;
export type Rung = 0 | 1 | 2 | 3 | 4 | 5;

export const rungSchema = z
  .int({ message: 'expected a rung, a whole number from 0 to 5' })
  .min(0, { message: 'expected a rung, a whole number from 0 to 5' })
  .max(5, { message: 'expected a rung, a whole number from 0 to 5' })
  .transform((n) => n as Rung)
  .meta({ description: '0 suggest, 1 draft, 2 confirm, 3 bounded, 4 rollback, 5 report' });

/** A duration such as `90s`, `30m`, `4h`, `14d`; parsed to milliseconds. */
export const durationSchema = z
  .string({ message: 'expected a duration such as 90s, 30m, 4h or 14d' })
  .regex(DURATION_PATTERN, { message: 'expected a duration such as 90s, 30m, 4h or 14d' })
  .transform((text) => parseDuration(text)!)
  .meta({ description: 'number + unit (ms, s, m, h, d, w), e.g. 30m or 14d' });

const slackUserId = z
  .string()
  .regex(SLACK_USER_ID, { message: 'expected a Slack user id such as U012ABC' })
  .meta({ description: 'Slack user id (U… or W…)' });

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, { message: 'expected a lowercase name (letters, digits, ".", "_", "-")' });

const actionType = z
  .string()
  .regex(/^[a-z][a-z0-9]*(\.[a-z][a-z0-9-]*)+$/, { message: 'expected an action type such as config.set' });

const rate = z
  .number({ message: 'expected a rate from 0 to 1' })
  .min(0, { message: 'expected a rate from 0 to 1' })
  .max(1, { message: 'expected a rate from 0 to 1' });

const nonNegative = z
  .number({ message: 'expected a number ≥ 0' })
  .min(0, { message: 'expected a number ≥ 0' });

const slackChannel = z.string().regex(/^(#[a-z0-9._-]+|C[A-Z0-9]{2,})$/, {
  message: 'expected a channel such as #ops or a channel id C…',
});

/** Who may approve: Slack users and named groups (declared under `groups`). */
export const approversSchema = z.strictObject({
  users: z.array(slackUserId).default([]),
  groups: z.array(name).default([]),
});

/** Limits inside which a rung ≥ 3 agent acts without asking; outside them it falls back to rung 2. */
export const boundsSchema = z.strictObject({
  actions: z.array(actionType).min(1, { message: 'expected at least one action type' }),
  environments: z.array(name).min(1, { message: 'expected at least one environment' }),
  perDay: z.strictObject({
    count: z
      .int({ message: 'expected a whole number ≥ 0' })
      .min(0, { message: 'expected a whole number ≥ 0' }),
    costUsd: nonNegative,
  }),
  stepCostUsd: z.record(actionType, nonNegative).optional().meta({
    description:
      'the least each step of an action is charged against perDay.costUsd, in USD; a step that declares more is charged what it declares',
  }),
  hosts: z
    .array(
      z.string().regex(/^[a-z0-9.-]+(:\d+)?$/, { message: 'expected a host name, optionally with :port' }),
    )
    .optional()
    .meta({ description: 'hosts a step URL may target autonomously (http.request)' }),
  requests: z
    .array(
      z.string().regex(REQUEST_BOUND, {
        message:
          'expected a request such as "POST https://deploy.internal/deploys" (method optional; no query)',
      }),
    )
    .min(1, { message: 'expected at least one request' })
    .optional()
    .meta({
      description:
        'HTTP requests a step may send autonomously, as "METHOD URL-prefix" (or a URL prefix for any method): every request, undo, check, health and reload call must match one',
    }),
});

/** Forces a rung ceiling when a task matches, e.g. any production migration is confirmed by a human. */
export const pinSchema = z.strictObject({
  id: name,
  maxRung: z
    .int({ message: 'expected a rung from 0 to 2' })
    .min(0, { message: 'expected a rung from 0 to 2' })
    .max(2, { message: 'expected a rung from 0 to 2 (a pin forces confirmation or less)' })
    .transform((n) => n as Rung),
  when: z
    .strictObject({
      actions: z.array(actionType).min(1).optional(),
      environments: z.array(name).min(1).optional(),
    })
    .refine((w) => w.actions !== undefined || w.environments !== undefined, {
      message: 'expected at least one of actions or environments',
    }),
  reason: z.string().min(1, { message: 'expected a reason for the pin' }),
});

/** One step of an escalation chain: who is pinged once `after` has passed unanswered. */
export const escalationStepSchema = z.strictObject({
  after: durationSchema,
  notify: z.union([z.literal('owner'), z.literal('channel'), slackUserId], {
    message: 'expected owner, channel, or a Slack user id',
  }),
});

export const reportSchema = z.strictObject({
  mode: z.enum(['each', 'digest'], { message: 'expected each or digest' }),
  period: durationSchema.optional().meta({ description: 'digest period; required when mode is digest' }),
  readSla: durationSchema,
  channel: slackChannel,
  readers: z
    .array(
      z.union([z.enum(['owner', 'requester', 'approvers', 'escalation']), slackUserId], {
        message: 'expected owner, requester, approvers, escalation, or a Slack user id',
      }),
    )
    .min(1, { message: 'expected at least one reader' })
    .default(['owner', 'requester', 'approvers', 'escalation'])
    .meta({ description: 'who may mark a report read; default: owner, requester, approvers, escalation' }),
});

/** What happens to an approval request nobody answered within `expireAfter`. */
export const ON_EXPIRY = ['reject', 'keep-waiting', 'escalate'] as const;

/**
 * How long an approval request waits: a reminder after `remindAfter`, a warning to the approvers
 * `warnBefore` its expiry, and at `expireAfter` what `onExpiry` says: `reject` (nothing runs; the
 * default), `keep-waiting` (it never expires), or `escalate` (the request goes to each group of
 * `escalateTo` in turn, each for another `expireAfter`, and is rejected after the last).
 */
export const approvalSchema = z
  .strictObject({
    remindAfter: durationSchema,
    expireAfter: durationSchema,
    warnBefore: durationSchema
      .optional()
      .meta({ description: 'warn the approvers this long before a request expires (less than expireAfter)' }),
    onExpiry: z
      .enum(ON_EXPIRY, { message: 'expected reject, keep-waiting or escalate' })
      .default('reject')
      .meta({
        description: 'what happens to a request nobody answered: reject (default), keep-waiting, escalate',
      }),
    escalateTo: z.array(name).min(1, { message: 'expected at least one approver group' }).optional().meta({
      description:
        'with onExpiry: escalate, the approver groups (declared under groups) that get the request in turn',
    }),
  })
  .superRefine((a, ctx) => {
    if (a.onExpiry === 'escalate' && a.escalateTo === undefined)
      ctx.addIssue({
        code: 'custom',
        input: undefined, // the message says what is wrong; the refined object is no help
        path: ['escalateTo'],
        message: 'expected the approver groups to escalate to, in order (onExpiry is escalate)',
      });
    if (a.onExpiry !== 'escalate' && a.escalateTo !== undefined)
      ctx.addIssue({
        code: 'custom',
        input: undefined, // the message says what is wrong; the refined object is no help
        path: ['escalateTo'],
        message: `escalateTo is used only with onExpiry: escalate (onExpiry is ${a.onExpiry})`,
      });
    if (a.warnBefore !== undefined && a.warnBefore >= a.expireAfter)
      ctx.addIssue({
        code: 'custom',
        input: undefined, // in ms after parsing: the message names both settings instead
        path: ['warnBefore'],
        message: 'expected a warning before expiry: less than expireAfter',
      });
    if (a.warnBefore !== undefined && a.onExpiry === 'keep-waiting')
      ctx.addIssue({
        code: 'custom',
        input: undefined, // in ms after parsing: the message names both settings instead
        path: ['warnBefore'],
        message: 'a request that keeps waiting never expires: there is nothing to warn about',
      });
  });

/**
 * Standing approvals a class allows ("allow this agent this action on this resource for a while, at
 * most N times"): the longest term and most uses one may have, and which otherwise-guarded tasks
 * one may cover (none unless said: a pinned action, the two-person rule, a typed confirmation).
 */
export const standingApprovalsSchema = z.strictObject({
  maxTerm: durationSchema.meta({ description: 'the longest a standing approval may last, e.g. 24h' }),
  maxUses: z
    .int({ message: 'expected a whole number from 1 to 1000' })
    .min(1, { message: 'expected a whole number from 1 to 1000' })
    .max(1000, { message: 'expected a whole number from 1 to 1000' })
    .meta({ description: 'the most tasks one standing approval may let through' }),
  cover: z
    .strictObject({
      pinned: z.boolean({ message: 'expected true or false' }).default(false),
      twoPersonRule: z.boolean({ message: 'expected true or false' }).default(false),
      typedConfirmation: z.boolean({ message: 'expected true or false' }).default(false),
    })
    .default({ pinned: false, twoPersonRule: false, typedConfirmation: false })
    .meta({
      description:
        'tasks a standing approval may cover although a pin, the two-person rule or a typed confirmation applies (default: none)',
    }),
});

export const taskClassSchema = z.strictObject({
  description: z.string().optional(),
  cap: rungSchema.meta({ description: 'highest rung any agent may use for this class' }),
  actions: z.array(actionType).min(1, { message: 'expected at least one action type' }),
  channel: slackChannel,
  approvers: approversSchema,
  owners: z.array(slackUserId).min(1, { message: 'expected at least one owner' }).optional().meta({
    description:
      "who owns the class: told when an approver there looks like a rubber stamp, and who reviews them (default: the policy's admins)",
  }),
  twoPersonRule: z.boolean({ message: 'expected true or false' }).default(false),
  typedConfirmation: z.boolean({ message: 'expected true or false' }).default(false),
  bounds: boundsSchema.optional(),
  pins: z.array(pinSchema).default([]),
  approval: approvalSchema,
  rollback: z.strictObject({ healthWindow: durationSchema, healthInterval: durationSchema }).optional(),
  report: reportSchema.optional(),
  escalation: z.array(escalationStepSchema).default([]),
  edits: z
    .record(
      actionType,
      z.record(
        z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, {
          message: 'expected a param path such as body.replicas',
        }),
        z.enum(EDIT_RULES, { message: 'expected lower, subset or subpath' }),
      ),
    )
    .optional()
    .meta({
      description:
        'params an approver may narrow before approving, per action: lower (a number), subset (a list), subpath (a path)',
    }),
  standingApprovals: standingApprovalsSchema.optional().meta({
    description: 'let approvers allow an agent an action on a resource for a while (absent: not allowed)',
  }),
});

export const agentSchema = z.strictObject({
  owner: slackUserId,
  model: z.string().min(1, { message: 'expected a model name' }),
  promptVersion: z.string().min(1, { message: 'expected a prompt version' }),
  rungs: z
    .record(name, rungSchema)
    .meta({ description: 'earned rung per task class (the trust ledger wins once it exists)' }),
});

/** Evidence required to promote into a rung; every field is required: there are no implicit thresholds. */
export const promotionStepSchema = z.strictObject({
  minCleanPeriod: durationSchema,
  minSamples: z
    .int({ message: 'expected a whole number ≥ 1' })
    .min(1, { message: 'expected a whole number ≥ 1' }),
  minApprovalRate: rate,
  maxInterventionRate: rate,
  maxDefectEscapeRate: rate,
  maxAuditDisagreement: rate,
  costOfMistakeUsd: nonNegative,
  minutesPerApproval: nonNegative,
  costPerMinuteUsd: nonNegative,
});

const PROMOTION_STEPS = ['to1', 'to2', 'to3', 'to4', 'to5'] as const;
export type PromotionStepKey = (typeof PROMOTION_STEPS)[number];

/**
 * Out-of-office delegation: who may stand in for whom (`standIns`: approver → the people the
 * policy lets answer in their place while they are away), and the longest absence one may declare.
 */
export const delegationSchema = z
  .strictObject({
    standIns: z
      .record(slackUserId, z.array(slackUserId).min(1, { message: 'expected at least one stand-in' }))
      .meta({ description: 'approver → who may answer in their place while they are away' }),
    maxAway: durationSchema.meta({ description: 'the longest absence one may declare, e.g. 30d' }),
  })
  .superRefine((d, ctx) => {
    for (const [approver, standIns] of Object.entries(d.standIns))
      if (standIns.includes(approver))
        ctx.addIssue({
          code: 'custom',
          input: undefined,
          path: ['standIns', approver],
          message: `${approver} cannot stand in for themselves`,
        });
  });

/**
 * The rubber-stamp watch: thresholds that say an approver approves in seconds at near 100% while
 * defects escape. Every field is required: there are no implicit thresholds, and without the block
 * nobody is watched.
 */
export const approverWatchSchema = z.strictObject({
  period: durationSchema.meta({
    description:
      'answers and defects of this last period are judged, e.g. 30d (at most the newest 500 answers)',
  }),
  minAnswers: z
    .int({ message: 'expected a whole number from 1 to 500' })
    .min(1, { message: 'expected a whole number from 1 to 500' })
    .max(500, { message: 'expected a whole number from 1 to 500' })
    .meta({ description: 'nobody is judged on fewer answers than this (at most 500)' }),
  fastAnswer: durationSchema.meta({
    description: 'a median time to approve at or under this reads as approving in seconds',
  }),
  minApprovalRate: rate.meta({
    description: 'approving at least this share of what one is asked reads as near 100%',
  }),
  minDefects: z
    .int({ message: 'expected a whole number ≥ 1' })
    .min(1, { message: 'expected a whole number ≥ 1' })
    .meta({ description: 'tasks they approved found defective, reported within the period' }),
});

export const policySchema = z.strictObject({
  version: z
    .union([z.string().min(1), z.number()], { message: 'expected a version string' })
    .transform(String),
  admins: z.array(slackUserId).min(1, { message: 'expected at least one admin' }),
  environments: z.array(name).min(1, { message: 'expected at least one environment' }).optional().meta({
    description:
      'the environments tasks may name, e.g. [dev, staging, production]; pins and bounds must use these',
  }),
  environmentTargets: environmentTargetsSchema.optional(),
  answers: answersSchema.meta({ description: 'the keys that prove who gave a human answer' }),
  groups: z
    .record(name, z.array(slackUserId).min(1, { message: 'expected at least one member' }))
    .default({}),
  pins: z.array(pinSchema).default([]).meta({ description: 'pins that apply to every task class' }),
  approverWatch: approverWatchSchema.optional().meta({
    description:
      'flag approvers who approve in seconds at near 100% while defects escape (absent: nobody is watched)',
  }),
  delegation: delegationSchema.optional().meta({
    description: 'who may stand in for an approver who is away (absent: nobody delegates)',
  }),
  taskClasses: z.record(name, taskClassSchema),
  agents: z.record(name, agentSchema),
  promotion: z.strictObject({
    to1: promotionStepSchema.optional(),
    to2: promotionStepSchema.optional(),
    to3: promotionStepSchema.optional(),
    to4: promotionStepSchema.optional(),
    to5: promotionStepSchema.optional(),
  }),
  demotion: z
    .strictObject({
      incidentRung: rungSchema.default(2),
      environmentChangeRung: rungSchema.default(2),
      unanticipatedFailureDrop: z.int().min(1).max(5).default(1),
    })
    .default({ incidentRung: 2, environmentChangeRung: 2, unanticipatedFailureDrop: 1 }),
  audit: z.strictObject({
    sampleRate: rate,
    expireAfter: durationSchema
      .default(7 * 86_400_000)
      .meta({ description: 'an audit nobody reviews within this closes unanswered' }),
    unanswered: z
      .enum(['agree', 'disagree', 'not-counted'], {
        message: 'expected agree, disagree or not-counted',
      })
      .default('not-counted')
      .meta({ description: 'what an expired audit counts as in the audit disagreement rate' }),
    maxOpen: z
      .int({ message: 'expected a whole number from 1 to 1000' })
      .min(1, { message: 'expected a whole number from 1 to 1000' })
      .max(1000, { message: 'expected a whole number from 1 to 1000' })
      .default(50)
      .meta({ description: 'open audits per agent; outcomes sampled beyond it are not audited' }),
  }),
  killSwitch: z
    .strictObject({
      engaged: z.boolean({ message: 'expected true or false' }),
      cap: rungSchema.default(0),
      agents: z.array(name).optional().meta({ description: 'omit to cap every agent' }),
    })
    .default({ engaged: false, cap: 0 }),
  agentApi: agentApiSchema.default({ requestsPerMinute: 60, maxWaiting: 50 }),
  policyGuard: policyGuardSchema.optional(),
  credentials: credentialsSchema.default([]),
  destinations: z
    .record(
      z.string().regex(/^[a-z0-9.-]+(:\d+)?$/, { message: 'expected a host name, optionally with :port' }),
      z.strictObject({
        honoursIdempotencyKey: z.boolean({ message: 'expected true or false' }).meta({
          description:
            'the host applies a request at most once per Idempotency-Key header, so http.request may send it again after an unknown outcome',
        }),
      }),
    )
    .default({})
    .meta({ description: 'what Ladder may assume about the hosts actions call, by host[:port]' }),
  canary: z
    .strictObject({
      policy: z
        .string()
        .min(1)
        .meta({ description: 'path of the next policy version, relative to this file' }),
      agents: z.array(name).optional(),
      share: rate
        .optional()
        .meta({ description: 'share of agents, chosen by a stable hash of the agent id' }),
      window: durationSchema,
    })
    .refine((c) => c.agents !== undefined || c.share !== undefined, { message: 'expected agents or share' })
    .optional(),
});

export { PROMOTION_STEPS };
export type PolicyInput = z.input<typeof policySchema>;
export type PolicyDocument = z.output<typeof policySchema>;
export type TaskClassPolicy = z.output<typeof taskClassSchema>;
export type AgentPolicy = z.output<typeof agentSchema>;
export type Pin = z.output<typeof pinSchema>;
export type ApproverWatchRule = z.output<typeof approverWatchSchema>;
export type Bounds = z.output<typeof boundsSchema>;
export type PromotionStep = z.output<typeof promotionStepSchema>;
