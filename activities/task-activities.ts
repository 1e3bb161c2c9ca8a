import { useStandingApproval } from '../client/standing-approvals';
import { listAway } from '../client/delegations';
import { standInsFor, type StandIn } from '../policy/delegation';
import type { EditRules } from '../policy/step-edits';
import { MAX_TARGETS, taskTargets, whyNotCoverable, type StandingUse } from '../policy/standing-approvals';
import { own } from '../policy/own';
import { chargedCostUsd } from '../policy/step-cost';
import { withStepRequests } from '../policy/request-bounds';
import { redirectObjection, type RedirectPlace } from '../policy/redirect-place';
import { reportReadersOf } from '../policy/report-readers';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { agentStateFrom } from '../policy/agent-state';
import {
  decide,
  matchingPinIds,
  type AgentState,
  type Decision,
  type DecisionInput,
  type Usage,
} from '../policy/decide';
import { decideWithUsage } from './decide-with-usage';
import type { AnswerTrust } from '../policy/answer-proof';
import type { LoadedPolicy } from '../policy/loader';
import type { TaskRequest } from '../policy/task';
import { quotaLedger } from '../workflows/quota-ledger';
import {
  addDigestItemSignal,
  digestWorkflowId,
  killSwitchWorkflowId,
  AUTONOMY_WITHDRAWN,
  OUTCOME_UNKNOWN_FAILURE,
  quotaUsageQuery,
  quotaWorkflowId,
  reserveQuotaUpdate,
  type DigestInput,
  type DigestItem,
  type QuotaReply,
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
import { createBatchedCalls } from '../client/batched-calls';
import { createFreshReads } from '../client/fresh-reads';
import { readKillSwitch } from '../client/kill-switch';
import { entityStartOptions } from '../client/entity-start';
import { createCredentialInjector, createSecretResolver, type SecretResolver } from './actions/secrets';
import type { CanaryLink } from '../client/canary-link';
import type { LedgerLink } from '../client/ledger-link';
import type { ApproverWatchLink } from '../client/approver-watch';
import { recordEvidence, type OutcomeEvent, type OutcomeSink } from './outcomes';
import type { LadderMetrics } from '../observability/ladder-metrics';

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
  outcomes: OutcomeSink;
  /**
   * The agents' trust ledgers: where earned rungs come from and outcomes go. Without it (some
   * tests), earned rungs are the policy's declared ones and outcomes reach only `outcomes`.
   */
  ledger?: LedgerLink;
  /** The rubber-stamp watches: people's answers go there before the ledger (built from `client` when absent). */
  approverWatch?: ApproverWatchLink;
  /** A canary rollout of the next policy version, when the policy declares one. */
  canary?: CanaryLink;
  /**
   * Reads the secrets the policy's `credentials` name; default: the worker's own environment and
   * files. Only the worker holds them: agents name no secret, and none reaches a result.
   */
  secrets?: SecretResolver;
  /**
   * The worker's Prometheus metrics: decisions, outcomes and outcome-unknown steps are counted
   * here when present (tests and tools without an endpoint leave it out).
   */
  metrics?: LadderMetrics;
  /**
   * This worker's host queue (`<taskQueue>@<LADDER_WORKER_HOST>`), which the worker also polls:
   * tasks it decides run their host-bound steps there. Unset, every step runs on the shared queue.
   */
  hostQueue?: string;
}

/** The decision plus what the workflow needs from the policy to act on it. */
export interface DecisionBundle {
  decision: Decision;
  /** UTC day (YYYY-MM-DD) the usage counts against. */
  day: string;
  limits: { count: number; costUsd: number } | null;
  /**
   * The quota ledger's answer to this task's reservation, asked with the decision when the task
   * may run on its own within daily bounds; null otherwise.
   */
  reservation: QuotaReply | null;
  /**
   * The standing approval that answers this rung-2 task instead of a new question, with which of
   * its uses this task is; null (or absent, in decisions recorded before they existed) otherwise.
   */
  standing?: StandingUse | null;
  /**
   * Whether the request may offer "approve and allow for a while": the class allows standing
   * approvals, one could cover this task (one action, a resource, no typed confirmation) and none did.
   */
  standingOffer?: boolean;
  /** Approvers of the class who are away, and who answers for each meanwhile (absent: none). */
  standIns?: StandIn[];
  /** Params an approver may narrow before approving, per action (the class's `edits`; absent: none). */
  editRules?: EditRules;
  allowedHosts: string[] | null;
  owner: string | null;
  /** The keys answers to this task are verified with: those in force at decision time. */
  answerTrust: AnswerTrust;
  /** Who may mark this task's report read (rung 5), from the class's `report.readers`. */
  reportReaders: string[];
  /**
   * Where the task's host-bound steps run (their draft, attempts, health checks and compensation):
   * the host queue of the worker that decided it, and which step indexes act on host files. Absent
   * when the deciding worker has no host queue or no step is host-bound: every step then runs on the
   * shared queue.
   */
  host?: { queue: string; steps: number[] };
  /**
   * Each step in its action's words, for a task that asks a person first (rungs 0-2): described
   * with the decision, so asking needs no look-up of its own. Absent otherwise, or when a step
   * could not be described (the workflow's own look-up then fails as it always did).
   */
  described?: StepDescription[];
}

/** A step as people see it: what it does and what it can touch. */
export interface StepDescription {
  action: string;
  description: string;
  blastRadius: string;
}

/**
 * What `steps` act on, for a standing approval's scope; null when a step's action or params no longer
 * validate (a handler changed since submission), so no standing approval can cover the task.
 */
function targetsOrNull(registry: ActionRegistry, steps: TaskRequest['steps']): string[] | null {
  try {
    return taskTargets(registry, steps);
  } catch {
    return null;
  }
}

/** Each step in its action's words; validates the params again (throws on invalid ones). */
function describeStepsWith(registry: ActionRegistry, steps: TaskRequest['steps']): StepDescription[] {
  return steps.map((s) => {
    const handler = registry.get(s.action);
    const params = handler.params.parse(s.params);
    return {
      action: s.action,
      description: handler.describe(params),
      blastRadius: handler.blastRadius(params),
    };
  });
}

/** {@link describeStepsWith}, or undefined where it throws (the caller's own path reports the error). */
function describedOrNone(
  registry: ActionRegistry,
  steps: TaskRequest['steps'],
): StepDescription[] | undefined {
  try {
    return describeStepsWith(registry, steps);
  } catch {
    return undefined;
  }
}

type StepRef = {
  workflowId: string;
  index: number;
  step: TaskRequest['steps'][number];
  allowedHosts: string[] | null;
  /**
   * What a redirect of the step's requests must still fit besides the host bound: the task's
   * environment (no hop into a place another environment owns) and, when the step runs under its
   * class's bounds with nobody approving it, the class's `bounds.requests`. Absent in refs made
   * before it existed: then only the host bound.
   */
  place?: RedirectPlace;
  /** A person's answer after this step's (or its undo's) outcome was unknown. */
  resolution?: OutcomeResolution;
  /**
   * Set when the step runs on the agent's own authority: the policy and kill switch in force are
   * checked for this task right before the effect (on every attempt), and a step no longer allowed
   * fails with {@link AUTONOMY_WITHDRAWN} without running.
   */
  autonomousTask?: TaskRequest;
};

/**
 * Why a step's re-check refused it ({@link AUTONOMY_WITHDRAWN}'s details): the re-check's answer,
 * and whether an earlier attempt of the step may have changed something before it.
 */
export interface AutonomyWithdrawn extends AutonomyCheck {
  mayHaveRun: boolean;
}

/** The answer of an autonomy re-check: the rung the policy in force allows now, and why. */
export interface AutonomyCheck {
  rung: number;
  reasons: string[];
  policyVersion: string;
}

/** How long one batched reservation update may take before it fails and the decision is retried (ms). */
const RESERVATION_DEADLINE_MS = 20_000;

/** Milliseconds between heartbeats of action activities; well under the profiles' heartbeat timeout. */
const HEARTBEAT_EVERY_MS = 1_000;

/**
 * Runs handler code as an activity: heartbeats every {@link HEARTBEAT_EVERY_MS} while it works (so
 * a cancelled task reaches a running step, and a crashed worker's step is retried after the
 * heartbeat timeout), and turns errors a retry cannot fix into non-retryable failures. The first
 * beat comes after one interval, not at the start: the heartbeat timeout already runs from the
 * start, and a step done within a second (most are) then costs the server no heartbeat call and
 * no write of the activity's state.
 */
async function asActivity<T>(run: () => Promise<T>): Promise<T> {
  const context = Context.current();
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
  const actionContext = (ref: StepRef): ActionContext => ({
    idempotencyKey: `${ref.workflowId}#${ref.index}`,
    idempotentHosts: idempotentHostsOf(deps.policy()),
    ...(ref.resolution ? { resolution: ref.resolution } : {}),
    workspaceRoot: deps.workspaceRoot,
    sandboxDir: deps.sandboxDir,
    stateDir: deps.stateDir,
    allowedHosts: ref.allowedHosts ?? undefined,
    ...(ref.place
      ? {
          checkRedirect: (method: string, url: URL) =>
            redirectObjection(deps.policy(), ref.place!, method, url),
        }
      : {}),
    // The policy in force at execution: a rotated or revoked credential applies to the next step.
    credentials: createCredentialInjector(deps.policy().credentials, ref.step.action, secrets),
    // ...and the files they read secrets from, which shell.exec hides from the commands it runs.
    secretFiles: (deps.policy().credentials ?? []).flatMap((c) => (c.secret.file ? [c.secret.file] : [])),
    environmentTargets: deps.policy().environmentTargets,
    signal: Context.current().cancellationSignal,
  });

  /**
   * Runs `use` as an activity with the step's handler, its validated params and its action context.
   * With `effect`, a step whose outcome is unknown is counted in the metrics as that phase.
   */
  function withHandler<T>(
    ref: StepRef,
    use: (handler: ReturnType<ActionRegistry['get']>, params: unknown, ctx: ActionContext) => Promise<T>,
    effect?: 'execute' | 'undo',
  ): Promise<T> {
    return asActivity(async () => {
      const handler = deps.registry.get(ref.step.action);
      try {
        return await use(handler, handler.params.parse(ref.step.params), actionContext(ref));
      } catch (err) {
        if (effect && err instanceof OutcomeUnknownError)
          deps.metrics?.outcomeUnknown(ref.step.action, effect);
        throw err;
      }
    });
  }

  // One read at a time per entity from this worker, each caller still seeing state read after it
  // asked: a burst of tasks costs a few reads, not one per task. The kill switch and ledger views
  // are memo reads (a describe); the usage is a query (a busy workflow's query buffer overflows).
  const killSwitchReads = createFreshReads(() => readKillSwitch(deps.client, deps.taskQueue));
  const usageReads = createFreshReads(async (workflowId): Promise<Usage> => {
    try {
      const usage = await deps.client.workflow.getHandle(workflowId).query(quotaUsageQuery);
      return { countToday: usage.countUsed, costTodayUsd: usage.costUsedUsd };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { countToday: 0, costTodayUsd: 0 };
      throw err;
    }
  });

  /**
   * What `decide` needs about the agent: earned rungs (the ledger's where it has them, else the
   * policy's declared ones) and any run-time freeze, read side by side. With `task`, a model or
   * prompt version that differs from the ledger's is reported to it and lowers this decision at once.
   */
  async function agentStateOf(
    policy: LoadedPolicy,
    agentId: string,
    task?: TaskRequest,
  ): Promise<AgentState | null> {
    const [killSwitch, ledger] = await Promise.all([
      killSwitchReads.read(killSwitchWorkflowId(deps.taskQueue)),
      deps.ledger ? deps.ledger.view(agentId) : Promise.resolve(undefined),
    ]);
    if (
      task &&
      deps.ledger &&
      (!ledger || ledger.model !== task.agent.model || ledger.promptVersion !== task.agent.promptVersion)
    ) {
      const { model, promptVersion } = task.agent;
      await deps.ledger.send(agentId, {
        // Concurrent tasks that saw the same ledger send the same id, so it counts once.
        id: `version/${ledger?.model ?? '-'}/${ledger?.promptVersion ?? '-'}->${model}/${promptVersion}/${ledger?.changes ?? 0}`,
        event: { kind: 'version', model, promptVersion },
      });
    }
    // A changed model or prompt caps the rungs at once; the ledger demotes every class a moment later.
    return agentStateFrom(policy, agentId, ledger, killSwitch, task?.agent);
  }

  /** The policy a task of `agentId` is decided with: the canary's next version for agents in it. */
  const policyFor = async (agentId: string): Promise<LoadedPolicy> =>
    deps.canary ? deps.canary.policyFor(agentId) : deps.policy();

  /** `task` as `decide()` reads it: with the requests its steps send where the class bounds them. */
  const decisionInput = (policy: LoadedPolicy, task: TaskRequest): DecisionInput =>
    own(policy.taskClasses, task.taskClass)?.bounds?.requests ? withStepRequests(deps.registry, task) : task;

  /**
   * Decides again with the policy and kill switch in force now; usage is left out (the task's own
   * reservation is counted already).
   */
  async function recheck(task: TaskRequest): Promise<AutonomyCheck> {
    const policy = await policyFor(task.agent.id);
    const decision = decide(policy, await agentStateOf(policy, task.agent.id), decisionInput(policy, task), {
      countToday: 0,
      costTodayUsd: 0,
    });
    return {
      rung: decision.refused ? 0 : decision.effectiveRung,
      reasons: decision.refused ? [decision.refused.message] : decision.reasons.map((r) => r.message),
      policyVersion: decision.policyVersion,
    };
  }

  /**
   * Throws {@link AUTONOMY_WITHDRAWN} (non-retryable) when the policy and kill switch in force no
   * longer let `task` run on its own (below rung 3); waits out a busy server until `signal` aborts.
   * Its details are the {@link AutonomyCheck} with `mayHaveRun`: whether an earlier attempt of the
   * step may have changed something (`mayHaveRun()` answers it, only when refused), so the workflow
   * keeps that step's compensation instead of taking it as never run.
   */
  async function ensureStillAutonomous(
    task: TaskRequest,
    signal: AbortSignal | undefined,
    mayHaveRun: () => boolean,
  ): Promise<void> {
    const now = await untilAnswered(() => recheck(task), signal ?? Context.current().cancellationSignal);
    if (now.rung < 3) {
      const withdrawn: AutonomyWithdrawn = { ...now, mayHaveRun: mayHaveRun() };
      throw ApplicationFailure.nonRetryable(
        `the policy in force now (${now.policyVersion}) allows rung ${now.rung}` +
          (now.reasons.length > 0 ? `: ${now.reasons.join('; ')}` : ''),
        AUTONOMY_WITHDRAWN,
        withdrawn,
      );
    }
  }

  // One reservation update in flight per quota ledger from this worker; the rest wait and go
  // together in the next (the server allows few in-flight updates per workflow).
  const reservations = createBatchedCalls<QuotaRequest, QuotaReply>((workflowId, requests) =>
    // Bounded: a call that never returns would hold up every later reservation of this ledger.
    deps.client.withDeadline(Date.now() + RESERVATION_DEADLINE_MS, () =>
      deps.client.workflow.executeUpdateWithStart(reserveQuotaUpdate, {
        args: [requests],
        startWorkflowOperation: new WithStartWorkflowOperation(quotaLedger, {
          workflowId,
          ...entityStartOptions(deps.taskQueue),
          args: [],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      }),
    ),
  );

  const known = new Set(deps.registry.types());
  /** The host-bound steps of `task`, pinned to this worker's host queue (see DecisionBundle.host). */
  const hostPlacement = (task: TaskRequest): Pick<DecisionBundle, 'host'> => {
    if (deps.hostQueue === undefined) return {};
    const steps = task.steps.flatMap((step, index) =>
      known.has(step.action) && deps.registry.get(step.action).hostBound ? [index] : [],
    );
    return steps.length > 0 ? { host: { queue: deps.hostQueue, steps } } : {};
  };

  return {
    /**
     * Decides the task's rung with the policy in force, the kill switch, the agent's ledger view and
     * today's usage (read side by side), and, when the task may run on its own within daily bounds,
     * asks the quota ledger for its reservation in the same call (the ledger answers the task by
     * signal; asking again for the same task gets the same answer).
     */
    async decideTask(args: {
      task: TaskRequest;
      workflowId: string;
      /** The quota day (`YYYY-MM-DD`, UTC), from workflow time; absent: the worker's today. */
      day?: string;
    }): Promise<DecisionBundle> {
      const { task } = args;
      const policy = await policyFor(task.agent.id);
      // The workflow's day when it asked: a retry after midnight reserves against the same day's
      // quota ledger (which answers it again), never a second one.
      const day = args.day ?? new Date().toISOString().slice(0, 10);
      const agentState = await agentStateOf(policy, task.agent.id, task);
      const bounds = own(policy.taskClasses, task.taskClass)?.bounds;
      const owner = own(policy.agents, task.agent.id)?.owner ?? null;
      const limits = bounds ? { ...bounds.perDay } : null;
      const quotaId = quotaWorkflowId(deps.taskQueue, task.agent.id, task.taskClass, day);
      const input = decisionInput(policy, task);
      const { decision, reservation } = await decideWithUsage(
        (usage) => decide(policy, agentState, input, usage),
        () => usageReads.read(quotaId),
        limits &&
          (() =>
            reservations.call(quotaId, {
              requesterWorkflowId: args.workflowId,
              costUsd: chargedCostUsd(task.steps, bounds?.stepCostUsd),
              limits,
            })),
      );
      const standingRule = own(policy.taskClasses, task.taskClass)?.standingApprovals;
      // What the steps act on is read only for a task a standing approval could cover at all: the
      // rung-3+ hot path parses no params again.
      const targets =
        standingRule !== undefined &&
        task.resource !== undefined &&
        whyNotCoverable(decision, standingRule.cover, matchingPinIds(policy, task)) === null
          ? targetsOrNull(deps.registry, task.steps)
          : null;
      const coverable = targets !== null;
      // Asked only where one could apply; the registry counts each task once however often this retries.
      const standing = coverable
        ? await useStandingApproval(deps.client, deps.taskQueue, {
            workflowId: args.workflowId,
            agentId: task.agent.id,
            taskClass: task.taskClass,
            actions: task.steps.map((s) => s.action),
            resource: task.resource!,
            environment: task.environment,
            targets: targets!,
          })
        : null;
      // Who answers for an approver who is away: read where the policy lets anyone stand in.
      const standIns =
        policy.delegation && !decision.refused && decision.effectiveRung <= 2
          ? standInsFor(await listAway(deps.client, deps.taskQueue), decision.approvers, Date.now())
          : [];
      // Counted once the whole answer is ready: a failed reservation retries the activity.
      deps.metrics?.decision(decision);
      const described =
        !decision.refused && decision.effectiveRung <= 2
          ? describedOrNone(deps.registry, task.steps)
          : undefined;
      return {
        decision,
        day,
        limits,
        reservation,
        standing,
        ...(standIns.length > 0 ? { standIns } : {}),
        ...(own(policy.taskClasses, task.taskClass)?.edits
          ? { editRules: own(policy.taskClasses, task.taskClass)!.edits }
          : {}),
        standingOffer:
          coverable &&
          standing === null &&
          !decision.typedConfirmation.required &&
          new Set(task.steps.map((s) => s.action)).size === 1 &&
          targets!.length <= MAX_TARGETS,
        allowedHosts: bounds?.hosts ? [...bounds.hosts] : null,
        owner,
        answerTrust: policy.answerTrust,
        reportReaders: reportReadersOf(policy, task, owner),
        ...hostPlacement(task),
        ...(described ? { described } : {}),
      };
    },

    /**
     * Decides `task` again with the policy and kill switch in force (no reservation, no standing
     * approval): what edited steps are held to before they are asked about again.
     */
    async redecide(task: TaskRequest): Promise<AutonomyCheck> {
      return recheck(task);
    },

    /** Describes each step for people, and validates params again (the registry may have changed). */
    async describeSteps(steps: TaskRequest['steps']): Promise<StepDescription[]> {
      // Pure and quick: run as a local activity, so it needs no heartbeat.
      return describeStepsWith(deps.registry, steps);
    },

    async draftStep(ref: StepRef): Promise<Draft> {
      return withHandler(ref, (handler, params, ctx) => handler.draft(params, ctx));
    },

    /**
     * Executes one step once per idempotency key; returns its undo record. An autonomous step is
     * first re-checked against the policy and kill switch in force (see {@link StepRef}).
     */
    async executeStep(ref: StepRef): Promise<unknown> {
      return withHandler(
        ref,
        async (handler, params, ctx) => {
          // Inside the heartbeating body: a ledger too busy to answer for longer than the heartbeat
          // timeout must delay the step, not time out every attempt and fail the task.
          if (ref.autonomousTask)
            await ensureStillAutonomous(ref.autonomousTask, ctx.signal, () =>
              // A retry follows an attempt that may have acted: the handler's journal tells, and
              // a handler without one is taken to have acted.
              handler.undoRecordFor
                ? handler.undoRecordFor(params, ctx) !== undefined
                : Context.current().info.attempt > 1,
            );
          return handler.execute(params, ctx);
        },
        'execute',
      );
    },

    async compensateStep(ref: StepRef & { undo: unknown }): Promise<void> {
      return withHandler(ref, (handler, params, ctx) => handler.compensate(params, ref.undo, ctx), 'undo');
    },

    /**
     * Undoes a step whose execution failed part-way, when its handler has an undo record for it
     * (journaled before acting, or its declared undo when the effect may have begun; see
     * `ActionHandler.undoRecordFor`). Returns whether there was anything to undo.
     */
    async compensateInterruptedStep(ref: StepRef): Promise<boolean> {
      return withHandler(
        ref,
        async (handler, params, ctx) => {
          const undo = handler.undoRecordFor?.(params, ctx);
          if (undo === undefined) return false;
          await handler.compensate(params, undo, ctx);
          return true;
        },
        'undo',
      );
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
        ...entityStartOptions(deps.taskQueue),
        args: [{ ...args.digest, periodEnd: new Date(periodStart + args.periodMs).toISOString() }],
        signal: addDigestItemSignal,
        signalArgs: [args.item],
      });
      return workflowId;
    },

    /** Evidence for the trust ledger (and the outcome log); counted once per task and kind. */
    async recordOutcome(event: OutcomeEvent): Promise<void> {
      await recordEvidence(deps, event);
    },
  };
}

export type TaskActivities = ReturnType<typeof createTaskActivities>;

/**
 * Reads until `read` answers: a re-check right before a step must not fail the step because the
 * server was briefly too busy to answer a query. Backs off from 200 ms to 5 s; gives up after two
 * minutes (the activity's retries take over). A cancellation ends it at once, even mid-read: a
 * query nobody can answer (the entity worker stopped first, the server overloaded) would otherwise
 * hold a draining worker until the query's own deadline.
 */
async function untilAnswered<T>(read: () => Promise<T>, signal: AbortSignal): Promise<T> {
  const giveUpAt = Date.now() + 2 * 60_000;
  for (let delay = 200; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      return await unlessAborted(read(), signal);
    } catch (err) {
      if (signal.aborted || Date.now() + delay > giveUpAt) throw err;
      await unlessAborted(new Promise((resolve) => setTimeout(resolve, delay)), signal);
    }
  }
}

/**
 * Settles as `work` does, or rejects with the signal's reason as soon as `signal` aborts. The work
 * itself goes on unobserved (a shared, coalesced read may still serve other callers).
 */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The hosts the policy's `destinations` declare to honour `Idempotency-Key`. */
function idempotentHostsOf(policy: LoadedPolicy): string[] {
  return Object.entries(policy.destinations ?? {})
    .filter(([, d]) => d.honoursIdempotencyKey)
    .map(([host]) => host);
}
