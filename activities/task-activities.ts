import { isSlackUserId } from '../policy/slack-ids';
import { own } from '../policy/own';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { decide, type AgentState, type Decision, type Usage } from '../policy/decide';
import type { Rung } from '../policy/schema';
import type { AnswerTrust } from '../policy/answer-proof';
import type { LoadedPolicy } from '../policy/loader';
import type { TaskRequest } from '../policy/task';
import { quotaLedger } from '../workflows/quota-ledger';
import {
  addDigestItemSignal,
  digestWorkflowId,
  killSwitchCapFor,
  killSwitchQuery,
  killSwitchWorkflowId,
  OUTCOME_UNKNOWN_FAILURE,
  quotaUsageQuery,
  quotaWorkflowId,
  releaseQuotaSignal,
  reserveQuotaSignal,
  type DigestInput,
  type DigestItem,
  type QuotaRequest,
} from '../workflows/messages';
import { reportDigest } from '../workflows/report-digest';
import {
  OutcomeUnknownError,
  PermanentActionError,
  type ActionContext,
  type Draft,
  type OutcomeResolution,
  type Verification,
} from './actions/contract';
import type { ActionRegistry } from './actions/registry';
import { createCredentialInjector, createSecretResolver, type SecretResolver } from './actions/secrets';
import { beginEffect } from './actions/undo-journal';
import type { CanaryLink } from './canary-link';
import type { LedgerLink } from './ledger-link';
import type { Notification, Notifier } from './notify/notifier';
import type { OutcomeEvent, OutcomeSink } from './outcomes';

/** What task activities need from the worker. */
export interface TaskActivityDeps {
  /** The policy in force now (reloaded on file change). */
  policy: () => LoadedPolicy;
  registry: ActionRegistry;
  client: Client;
  taskQueue: string;
  workspaceRoot: string;
  sandboxDir: string;
  stateDir: string;
  notifier: Notifier;
  outcomes: OutcomeSink;
  /**
   * The agents' trust ledgers: where earned rungs come from and outcomes go. Without it (some
   * tests), earned rungs are the policy's declared ones and outcomes reach only `outcomes`.
   */
  ledger?: LedgerLink;
  /** A canary rollout of the next policy version, when the policy declares one. */
  canary?: CanaryLink;
  /**
   * Reads the secrets the policy's `credentials` name; default: the worker's own environment and
   * files. Only the worker holds them: agents name no secret, and none reaches a result.
   */
  secrets?: SecretResolver;
  /**
   * How long after a retried post the task sweeps for a late copy, in ms; default
   * {@link LATE_POST_GRACE_MS}. Tests shorten it.
   */
  latePostGraceMs?: number;
}

/**
 * Default wait before sweeping for a late copy of a retried post: well beyond the notify profile's
 * 30 s attempt timeout, which bounds how long a live worker's post attempt may still be in flight
 * (a dead worker's request lands within seconds or never).
 */
export const LATE_POST_GRACE_MS = 2 * 60 * 1000;

/** The decision plus what the workflow needs from the policy to act on it. */
export interface DecisionBundle {
  decision: Decision;
  /** UTC day (YYYY-MM-DD) the usage counts against. */
  day: string;
  limits: { count: number; costUsd: number } | null;
  allowedHosts: string[] | null;
  owner: string | null;
  /** The keys answers to this task are verified with: those in force at decision time. */
  answerTrust: AnswerTrust;
  /** Who may mark this task's report read (rung 5), from the class's `report.readers`. */
  reportReaders: string[];
}

type StepRef = {
  workflowId: string;
  index: number;
  step: TaskRequest['steps'][number];
  allowedHosts: string[] | null;
  /** A person's answer after this step's (or its undo's) outcome was unknown. */
  resolution?: OutcomeResolution;
};

/** Milliseconds between heartbeats of action activities; well under the profiles' heartbeat timeout. */
const HEARTBEAT_EVERY_MS = 1_000;

/**
 * Runs handler code as an activity: heartbeats while it works (so a cancelled task reaches a
 * running step, and a crashed worker's step is retried after the heartbeat timeout), and turns
 * errors a retry cannot fix into non-retryable failures.
 */
async function asActivity<T>(run: () => Promise<T>): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const beat = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await run();
  } catch (err) {
    if (err instanceof PermanentActionError)
      throw ApplicationFailure.nonRetryable(err.message, 'PermanentActionError');
    if (err instanceof OutcomeUnknownError)
      throw ApplicationFailure.nonRetryable(err.message, OUTCOME_UNKNOWN_FAILURE, {
        marker: err.marker,
        undoable: err.undoable,
      });
    throw err;
  } finally {
    clearInterval(beat);
  }
}

/**
 * Activities of the delegated-task workflow. Side-effecting ones take the step's idempotency key
 * `<workflowId>#<step>` so a retry never repeats an effect.
 */
export function createTaskActivities(deps: TaskActivityDeps) {
  const secrets = deps.secrets ?? createSecretResolver(process.env);
  const actionContext = (
    key: string,
    allowedHosts: string[] | null,
    action: string,
    resolution?: OutcomeResolution,
  ): ActionContext => ({
    idempotencyKey: key,
    idempotentHosts: idempotentHostsOf(deps.policy()),
    ...(resolution ? { resolution } : {}),
    workspaceRoot: deps.workspaceRoot,
    sandboxDir: deps.sandboxDir,
    stateDir: deps.stateDir,
    allowedHosts: allowedHosts ?? undefined,
    // The policy in force at execution: a rotated or revoked credential applies to the next step.
    credentials: createCredentialInjector(deps.policy().credentials, action, secrets),
    signal: Context.current().cancellationSignal,
  });

  /** Runs `use` as an activity with the step's handler, its validated params and its action context. */
  function withHandler<T>(
    ref: StepRef,
    use: (handler: ReturnType<ActionRegistry['get']>, params: unknown, ctx: ActionContext) => Promise<T>,
  ): Promise<T> {
    return asActivity(async () => {
      const handler = deps.registry.get(ref.step.action);
      return use(
        handler,
        handler.params.parse(ref.step.params),
        actionContext(`${ref.workflowId}#${ref.index}`, ref.allowedHosts, ref.step.action, ref.resolution),
      );
    });
  }

  /**
   * What `decide` needs about the agent: earned rungs (the ledger's where it has them, else the
   * policy's declared ones) and any run-time freeze. With `task`, a model or prompt version that
   * differs from the ledger's is reported to it and lowers this decision at once.
   */
  async function agentStateOf(agentId: string, task?: TaskRequest): Promise<AgentState | null> {
    const policy = deps.policy();
    let freezeCap: number | undefined;
    let classCaps: Partial<Record<string, Rung>> = {};
    try {
      const state = await deps.client.workflow
        .getHandle(killSwitchWorkflowId(deps.taskQueue))
        .query(killSwitchQuery);
      freezeCap = killSwitchCapFor(state, agentId);
      classCaps = Object.fromEntries(Object.entries(state.classes ?? {}).map(([c, v]) => [c, v.cap as Rung]));
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err; // never frozen in this deployment
    }
    const declared: Partial<Record<string, Rung>> = { ...(own(policy.agents, agentId)?.rungs ?? {}) };
    const caps = {
      ...(freezeCap !== undefined ? { killSwitchCap: freezeCap as Rung } : {}),
      ...(Object.keys(classCaps).length > 0 ? { classCaps } : {}),
    };
    if (!deps.ledger) {
      return Object.keys(caps).length === 0 ? null : { earnedRungs: declared, ...caps };
    }
    const ledger = await deps.ledger.read(agentId);
    const earned: Partial<Record<string, Rung>> = { ...declared };
    for (const [taskClass, c] of Object.entries(ledger?.classes ?? {})) earned[taskClass] = c.rung;
    if (task) {
      const { model, promptVersion } = task.agent;
      const changed =
        ledger?.model != null && (ledger.model !== model || ledger.promptVersion !== promptVersion);
      if (!ledger || ledger.model !== model || ledger.promptVersion !== promptVersion) {
        await deps.ledger.send(agentId, {
          // Concurrent tasks that saw the same ledger send the same id, so it counts once.
          id: `version/${ledger?.model ?? '-'}/${ledger?.promptVersion ?? '-'}->${model}/${promptVersion}/${ledger?.history.length ?? 0}`,
          event: { kind: 'version', model, promptVersion },
        });
      }
      if (changed) {
        // The ledger demotes every class; this task must not wait for that to land.
        const cap = policy.demotion.environmentChangeRung;
        for (const k of Object.keys(earned)) earned[k] = Math.min(earned[k] ?? 0, cap) as Rung;
      }
    }
    return { earnedRungs: earned, ...caps };
  }

  async function usageOf(agentId: string, taskClass: string, day: string): Promise<Usage> {
    try {
      const usage = await deps.client.workflow
        .getHandle(quotaWorkflowId(deps.taskQueue, agentId, taskClass, day))
        .query(quotaUsageQuery);
      return { countToday: usage.countUsed, costTodayUsd: usage.costUsedUsd };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { countToday: 0, costTodayUsd: 0 };
      throw err;
    }
  }

  return {
    /** Decides the task's rung with the policy in force and today's usage. */
    async decideTask(task: TaskRequest): Promise<DecisionBundle> {
      // The canary's next policy version for agents in it (or for all, once promoted).
      const policy = deps.canary ? await deps.canary.policyFor(task.agent.id) : deps.policy();
      const day = new Date().toISOString().slice(0, 10);
      const usage = await usageOf(task.agent.id, task.taskClass, day);
      const decision = decide(policy, await agentStateOf(task.agent.id, task), task, usage);
      const bounds = own(policy.taskClasses, task.taskClass)?.bounds;
      const owner = own(policy.agents, task.agent.id)?.owner ?? null;
      return {
        decision,
        day,
        limits: bounds ? { ...bounds.perDay } : null,
        allowedHosts: bounds?.hosts ? [...bounds.hosts] : null,
        owner,
        answerTrust: policy.answerTrust,
        reportReaders: reportReadersOf(policy, task, owner),
      };
    },

    /**
     * Right before executing autonomously: decide again with the policy in force now (a kill switch
     * engaged since the decision applies). Usage is left out: this task's own reservation is counted.
     */
    async recheckAutonomy(
      task: TaskRequest,
    ): Promise<{ rung: number; reasons: string[]; policyVersion: string }> {
      const policy = deps.canary ? await deps.canary.policyFor(task.agent.id) : deps.policy();
      const decision = decide(policy, await agentStateOf(task.agent.id), task, {
        countToday: 0,
        costTodayUsd: 0,
      });
      return {
        rung: decision.refused ? 0 : decision.effectiveRung,
        reasons: decision.refused ? [decision.refused.message] : decision.reasons.map((r) => r.message),
        policyVersion: decision.policyVersion,
      };
    },

    /** Asks the agent's daily quota ledger for one autonomous execution; it answers by signal. */
    async requestQuota(args: {
      agentId: string;
      taskClass: string;
      day: string;
      request: QuotaRequest;
    }): Promise<void> {
      await deps.client.workflow.signalWithStart(quotaLedger, {
        workflowId: quotaWorkflowId(deps.taskQueue, args.agentId, args.taskClass, args.day),
        taskQueue: deps.taskQueue,
        args: [],
        signal: reserveQuotaSignal,
        signalArgs: [args.request],
      });
    },

    /** Gives a reservation back (the task did not execute after all). */
    async releaseQuota(args: {
      agentId: string;
      taskClass: string;
      day: string;
      requesterWorkflowId: string;
    }): Promise<void> {
      try {
        await deps.client.workflow
          .getHandle(quotaWorkflowId(deps.taskQueue, args.agentId, args.taskClass, args.day))
          .signal(releaseQuotaSignal, { requesterWorkflowId: args.requesterWorkflowId });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    },

    /** Describes each step for people, and validates params again (the registry may have changed). */
    async describeSteps(
      steps: TaskRequest['steps'],
    ): Promise<{ action: string; description: string; blastRadius: string }[]> {
      return asActivity(async () =>
        steps.map((s) => {
          const handler = deps.registry.get(s.action);
          const params = handler.params.parse(s.params);
          return {
            action: s.action,
            description: handler.describe(params),
            blastRadius: handler.blastRadius(params),
          };
        }),
      );
    },

    async draftStep(ref: StepRef): Promise<Draft> {
      return withHandler(ref, (handler, params, ctx) => handler.draft(params, ctx));
    },

    /** Executes one step once per idempotency key; returns its undo record. */
    async executeStep(ref: StepRef): Promise<unknown> {
      return withHandler(ref, (handler, params, ctx) => handler.execute(params, ctx));
    },

    async compensateStep(ref: StepRef & { undo: unknown }): Promise<void> {
      return withHandler(ref, (handler, params, ctx) => handler.compensate(params, ref.undo, ctx));
    },

    /**
     * Undoes a step whose execution failed part-way, when its handler journaled an undo record
     * before acting. Returns whether there was anything to undo.
     */
    async compensateInterruptedStep(ref: StepRef): Promise<boolean> {
      return withHandler(ref, async (handler, params, ctx) => {
        const undo = handler.undoRecordFor?.(params, ctx);
        if (undo === undefined) return false;
        await handler.compensate(params, undo, ctx);
        return true;
      });
    },

    /** Health check of one executed step; a step without `verify` counts as healthy. */
    async verifyStep(ref: StepRef): Promise<Verification> {
      return withHandler(ref, async (handler, params, ctx) =>
        handler.verify
          ? handler.verify(params, ctx)
          : { healthy: true, detail: `${ref.step.action} has no health check` },
      );
    },

    /**
     * Adds an executed task to its agent's digest for the current period, starting the digest
     * workflow if this is the period's first task.
     *
     * @returns the digest's workflow ID.
     */
    async addToDigest(args: {
      periodMs: number;
      digest: Omit<DigestInput, 'periodEnd'>;
      item: DigestItem;
    }): Promise<string> {
      const now = Date.now();
      const periodStart = Math.floor(now / args.periodMs) * args.periodMs;
      const workflowId = digestWorkflowId(
        deps.taskQueue,
        args.digest.agentId,
        new Date(periodStart).toISOString(),
      );
      await deps.client.workflow.signalWithStart(reportDigest, {
        workflowId,
        taskQueue: deps.taskQueue,
        args: [{ ...args.digest, periodEnd: new Date(periodStart + args.periodMs).toISOString() }],
        signal: addDigestItemSignal,
        signalArgs: [args.item],
      });
      return workflowId;
    },

    /**
     * Posts a notification once per key; returns the message ref for later updates, the attempt
     * that posted it, and `sweepAfterMs` when an earlier attempt began a post and never learned how
     * it ended (it timed out, or its worker died): a copy may still land, so the workflow sweeps for
     * one that much later (see `removeDuplicateNotifications`). Journaled in the state folder, so a
     * retry on another worker sharing it sees the marker too.
     */
    async notify(args: {
      key: string;
      notification: Notification;
    }): Promise<{ ref: string; attempt: number; sweepAfterMs?: number }> {
      // Taken first: at or after the server started this attempt, so the deadline is never early.
      const startedAt = Date.now();
      const info = Context.current().info;
      const effect = beginEffect(deps.stateDir, `notify:${args.key}`);
      let ref: string;
      try {
        ({ ref } = await deps.notifier.post(
          args.key,
          args.notification,
          info.attempt,
          startedAt + info.startToCloseTimeoutMs,
        ));
      } catch (err) {
        if (!postMayHaveLanded(err)) effect.end();
        throw err;
      }
      effect.end();
      // An earlier attempt that never learned how its post ended may still land a copy.
      const sweepAfterMs = effect.earlierUnfinished
        ? (deps.latePostGraceMs ?? LATE_POST_GRACE_MS)
        : undefined;
      return { ref, attempt: info.attempt, ...(sweepAfterMs !== undefined ? { sweepAfterMs } : {}) };
    },

    /**
     * Removes every copy of the notification posted under `key` except `keepRef` (the one the
     * workflow holds and updates).
     *
     * @returns how many copies were removed.
     */
    async removeDuplicateNotifications(args: { key: string; keepRef: string }): Promise<number> {
      return deps.notifier.removeDuplicates(args.key, args.keepRef);
    },

    /** Edits a posted notification in place (outcome, who, when, no buttons). */
    async updateNotification(args: { ref: string; notification: Notification }): Promise<void> {
      await deps.notifier.update(args.ref, args.notification);
    },

    /** Evidence for the trust ledger (and the outcome log); counted once per task and kind. */
    async recordOutcome(event: OutcomeEvent): Promise<void> {
      await deps.outcomes.record(event);
      await deps.ledger?.send(event.agentId, {
        id: `${event.workflowId}/${event.kind}`,
        event: {
          kind: 'outcome',
          outcome: event.kind,
          workflowId: event.workflowId,
          taskClass: event.taskClass,
          rung: event.rung,
        },
      });
    },
  };
}

export type TaskActivities = ReturnType<typeof createTaskActivities>;

/**
 * Whether a failed post may still have landed: not after a rate limit (429) or a Slack error
 * answer (`ok: false`), which post nothing; after a network error, a timeout or a 5xx, it may.
 */
function postMayHaveLanded(err: unknown): boolean {
  const e = err as { code?: unknown; type?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return !(
    e?.type === 'SlackRateLimited' ||
    code === 'slack_webapi_rate_limited_error' ||
    code === 'slack_webapi_platform_error'
  );
}

/** The hosts the policy's `destinations` declare to honour `Idempotency-Key`. */
function idempotentHostsOf(policy: LoadedPolicy): string[] {
  return Object.entries(policy.destinations ?? {})
    .filter(([, d]) => d.honoursIdempotencyKey)
    .map(([host]) => host);
}

/**
 * The people who may mark a task's report read, from its class's `report.readers`: the agent's
 * owner, the requester, the class's approvers, the escalation chain's people, or named users.
 */
export function reportReadersOf(policy: LoadedPolicy, task: TaskRequest, owner: string | null): string[] {
  const taskClass = own(policy.taskClasses, task.taskClass);
  if (!taskClass?.report) return [];
  const readers = new Set<string>();
  for (const who of taskClass.report.readers) {
    if (who === 'owner') {
      if (owner) readers.add(owner);
    } else if (who === 'requester') readers.add(task.requester);
    else if (who === 'approvers')
      (own(policy.approversByClass, task.taskClass) ?? []).forEach((u) => readers.add(u));
    else if (who === 'escalation') {
      for (const step of taskClass.escalation) {
        if (step.notify === 'owner' && owner) readers.add(owner);
        else if (isSlackUserId(step.notify)) readers.add(step.notify);
      }
    } else readers.add(who);
  }
  return [...readers];
}
