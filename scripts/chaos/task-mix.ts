import type { LoadedPolicy } from '../../policy/loader';
import { SIDE_EFFECT_FILE } from './stack';
import type { Random } from './random';

/** A person's answer to what a task asks, as `ladder respond` names them. */
export type AnswerKind = 'approve' | 'reject' | 'done' | 'dismiss' | 'accept' | 'decline' | 'read';
/** Where a person answers: a button in the Slack emulator, or the `ladder` CLI (signed). */
export type Via = 'slack' | 'cli';
/** Worker kills timed by a task: inside a shell effect, inside an HTTP effect, inside an undo. */
export type TrapKind = 'shell-effect' | 'http-effect' | 'compensation';

/** What one step does at its destination, so a checker can look there. */
export type StepEffect =
  | { action: 'shell.exec'; key: string; undoable: boolean }
  | { action: 'http.request'; key: string; undoable: boolean }
  | {
      action: 'config.set';
      key: string;
      file: string;
      set: Record<string, unknown>;
      previous: Record<string, unknown>;
    }
  | { action: 'file.write'; key: string; path: string; content: string };

/** One task of the mix: the request, what the run will answer, and what it should leave behind. */
export interface PlannedTask {
  index: number;
  /** Which template made it, e.g. `r4-deploy-rollback`. */
  kind: string;
  /** The rung the template aims at (the policy decides; the report shows both). */
  rung: number;
  workflowId: string;
  request: TaskJson;
  /** How the run answers what the task asks (approval, suggestion, draft, report); null: nothing to ask. */
  answer: { kind: AnswerKind; via: Via } | null;
  /** At rung ≥ 4 its health check is made to fail, so its steps are undone. */
  rollsBack: boolean;
  steps: StepEffect[];
  /** Workspace files the task changes, written before it is submitted. */
  seedFiles: { path: string; content: string }[];
  trap?: TrapKind;
  /** Submitted with the `ladder submit` CLI (else with the client library, as the Slack app does). */
  submitViaCli: boolean;
}

/** A task request as JSON (validated by Ladder at submission, not here). */
export interface TaskJson {
  taskId: string;
  agent: { id: string; model: string; promptVersion: string };
  taskClass: string;
  title: string;
  requester: string;
  environment: string;
  resource?: string;
  requestedRung?: { rung: number; reason: string };
  steps: { action: string; params: Record<string, unknown> }[];
}

/** A demo-service service the chaos run keeps broken, so health checks naming it fail. */
export const BROKEN_SERVICE = 'chaos-broken';
/** How long a trap's effect (or undo) lingers after reaching its destination, in seconds. */
export const TRAP_LINGER_SECONDS = 5;

interface MixContext {
  demoUrl: string;
  policy: LoadedPolicy;
  seed: number;
}

type Step = TaskJson['steps'][number];

/** Builds a task's steps once its workflow id (and so each step's idempotency key) is known. */
interface Template {
  kind: string;
  rung: number;
  agent: string;
  taskClass: string;
  environment: string;
  requestedRung?: number;
  requester: (policy: LoadedPolicy) => string;
  answers: readonly AnswerKind[];
  /** Share of the second answer (reject, dismiss, decline), when there are two. */
  noShare?: number;
  /** Must be answered on the CLI (typed confirmation, or a reason Slack asks for in a modal). */
  cliOnly?: boolean;
  rollsBack?: boolean;
  build(b: StepBuilder): void;
}

const owner = (agent: string) => (policy: LoadedPolicy) => {
  const a = policy.agents[agent];
  if (!a) throw new Error(`the chaos policy has no agent "${agent}"`);
  return a.owner;
};

/** The mix: every rung 0–5, every action, the ways a person answers. */
export const TEMPLATES: readonly Template[] = [
  // Rung 0: suggestions, marked done or dismissed.
  {
    kind: 'r0-config',
    rung: 0,
    agent: 'support-agent',
    taskClass: 'config-change',
    environment: 'staging',
    requester: owner('support-agent'),
    answers: ['done', 'dismiss'],
    noShare: 0.25,
    build: (b) => b.configSet(),
  },
  {
    kind: 'r0-deploy',
    rung: 0,
    agent: 'ops-agent',
    taskClass: 'deploy',
    environment: 'staging',
    requestedRung: 0,
    requester: owner('ops-agent'),
    answers: ['done', 'dismiss'],
    noShare: 0.25,
    build: (b) => b.deploy(),
  },
  {
    kind: 'r0-migration',
    rung: 0,
    agent: 'ops-agent',
    taskClass: 'db-migration',
    environment: 'staging',
    requestedRung: 0,
    requester: owner('ops-agent'),
    answers: ['done'],
    build: (b) => b.shell(),
  },
  {
    kind: 'r0-file',
    rung: 0,
    agent: 'release-agent',
    taskClass: 'config-change',
    environment: 'staging',
    requestedRung: 0,
    requester: owner('release-agent'),
    answers: ['done'],
    build: (b) => b.fileWrite(),
  },
  // Rung 1: drafts, accepted (then applied) or declined.
  {
    kind: 'r1-reply',
    rung: 1,
    agent: 'support-agent',
    taskClass: 'customer-email',
    environment: 'production',
    requester: owner('support-agent'),
    answers: ['accept', 'decline'],
    noShare: 0.2,
    build: (b) => b.reply(),
  },
  {
    kind: 'r1-config',
    rung: 1,
    agent: 'ops-agent',
    taskClass: 'config-change',
    environment: 'staging',
    requestedRung: 1,
    requester: owner('ops-agent'),
    answers: ['accept'],
    build: (b) => b.configSet(),
  },
  {
    kind: 'r1-deploy',
    rung: 1,
    agent: 'release-agent',
    taskClass: 'deploy',
    environment: 'staging',
    requestedRung: 1,
    requester: owner('release-agent'),
    answers: ['accept'],
    build: (b) => b.deploy(),
  },
  {
    kind: 'r1-migration',
    rung: 1,
    agent: 'ops-agent',
    taskClass: 'db-migration',
    environment: 'staging',
    requestedRung: 1,
    requester: owner('ops-agent'),
    answers: ['accept'],
    build: (b) => b.shell(),
  },
  {
    kind: 'r1-file',
    rung: 1,
    agent: 'ops-agent',
    taskClass: 'config-change',
    environment: 'staging',
    requestedRung: 1,
    requester: owner('ops-agent'),
    answers: ['accept'],
    build: (b) => b.fileWrite(),
  },
  // Rung 2: confirmations (pins, bounds, class caps), approved or rejected.
  {
    kind: 'r2-migration',
    rung: 2,
    agent: 'ops-agent',
    taskClass: 'db-migration',
    environment: 'production',
    requester: owner('ops-agent'),
    answers: ['approve', 'reject'],
    noShare: 0.15,
    cliOnly: true,
    build: (b) => b.shell({ undo: true }),
  },
  {
    kind: 'r2-deploy',
    rung: 2,
    agent: 'release-agent',
    taskClass: 'deploy',
    environment: 'production',
    requester: owner('release-agent'),
    answers: ['approve', 'reject'],
    noShare: 0.15,
    build: (b) => b.deploy(),
  },
  {
    kind: 'r2-shell',
    rung: 2,
    agent: 'release-agent',
    taskClass: 'deploy',
    environment: 'production',
    requester: owner('release-agent'),
    answers: ['approve'],
    build: (b) => b.shell({ undo: true }),
  },
  {
    kind: 'r2-config',
    rung: 2,
    agent: 'ops-agent',
    taskClass: 'config-change',
    environment: 'production',
    requester: owner('ops-agent'),
    answers: ['approve'],
    build: (b) => b.configSet(),
  },
  {
    kind: 'r2-file',
    rung: 2,
    agent: 'ops-agent',
    taskClass: 'config-change',
    environment: 'production',
    requester: owner('ops-agent'),
    answers: ['approve'],
    build: (b) => b.fileWrite(),
  },
  // Rung 3: within bounds, nobody asked.
  {
    kind: 'r3-deploy',
    rung: 3,
    agent: 'ops-agent',
    taskClass: 'deploy',
    environment: 'staging',
    requester: owner('ops-agent'),
    answers: [],
    build: (b) => b.deploy(),
  },
  {
    kind: 'r3-shell',
    rung: 3,
    agent: 'ops-agent',
    taskClass: 'deploy',
    environment: 'staging',
    requester: owner('ops-agent'),
    answers: [],
    build: (b) => b.shell(),
  },
  {
    kind: 'r3-config',
    rung: 3,
    agent: 'release-agent',
    taskClass: 'config-change',
    environment: 'staging',
    requester: owner('release-agent'),
    answers: [],
    build: (b) => b.configSet(),
  },
  {
    kind: 'r3-file',
    rung: 3,
    agent: 'release-agent',
    taskClass: 'config-change',
    environment: 'staging',
    requester: owner('release-agent'),
    answers: [],
    build: (b) => b.fileWrite(),
  },
  // Rung 4: health watched; some made to fail, so their steps are undone in reverse.
  {
    kind: 'r4-deploy',
    rung: 4,
    agent: 'release-agent',
    taskClass: 'deploy',
    environment: 'staging',
    requester: owner('release-agent'),
    answers: [],
    build: (b) => b.deploy({ undo: true, health: 'ok' }),
  },
  {
    kind: 'r4-shell',
    rung: 4,
    agent: 'release-agent',
    taskClass: 'deploy',
    environment: 'staging',
    requester: owner('release-agent'),
    answers: [],
    build: (b) => b.shell({ undo: true }),
  },
  {
    kind: 'r4-deploy-rollback',
    rung: 4,
    agent: 'release-agent',
    taskClass: 'deploy',
    environment: 'staging',
    requester: owner('release-agent'),
    answers: [],
    rollsBack: true,
    build: (b) => {
      b.shell({ undo: true });
      b.deploy({ undo: true, health: 'broken' });
    },
  },
  {
    kind: 'r4-config',
    rung: 4,
    agent: 'ops-agent',
    taskClass: 'config-change',
    environment: 'staging',
    requestedRung: 4,
    requester: owner('ops-agent'),
    answers: [],
    build: (b) => b.configSet({ health: 'ok' }),
  },
  {
    kind: 'r4-config-rollback',
    rung: 4,
    agent: 'ops-agent',
    taskClass: 'config-change',
    environment: 'staging',
    requestedRung: 4,
    requester: owner('ops-agent'),
    answers: [],
    rollsBack: true,
    build: (b) => {
      b.fileWrite();
      b.configSet({ health: 'broken' });
    },
  },
  // Rung 5: executed, then a report someone reads.
  {
    kind: 'r5-config',
    rung: 5,
    agent: 'ops-agent',
    taskClass: 'config-change',
    environment: 'staging',
    requester: owner('ops-agent'),
    answers: ['read'],
    build: (b) => b.configSet({ health: 'ok' }),
  },
  {
    kind: 'r5-file',
    rung: 5,
    agent: 'ops-agent',
    taskClass: 'config-change',
    environment: 'staging',
    requester: owner('ops-agent'),
    answers: ['read'],
    build: (b) => b.fileWrite(),
  },
];

/** Builds the steps of one task and records what each leaves at its destination. */
class StepBuilder {
  readonly steps: Step[] = [];
  readonly effects: StepEffect[] = [];
  readonly seedFiles: { path: string; content: string }[] = [];

  constructor(
    private readonly workflowId: string,
    private readonly index: number,
    private readonly demoUrl: string,
    private readonly trap?: TrapKind,
  ) {}

  private key(): string {
    return `${this.workflowId}#${this.steps.length}`;
  }

  /** Appends its key as one line to the side-effect file; a trap lingers after it. */
  shell(o: { undo?: boolean } = {}): void {
    const key = this.key();
    const linger = ` && sleep ${TRAP_LINGER_SECONDS}`;
    const line = (text: string): string => `echo '${text}' >> ${SIDE_EFFECT_FILE}`;
    this.steps.push({
      action: 'shell.exec',
      params: {
        command: `${line(key)}${this.trap === 'shell-effect' ? linger : ''}`,
        ...(o.undo ? { undo: `${line(`${key}#undo`)}${this.trap === 'compensation' ? linger : ''}` } : {}),
      },
    });
    this.effects.push({ action: 'shell.exec', key, undoable: o.undo === true });
  }

  /** Deploys a service of its own; `broken` deploys a version whose health check fails. */
  deploy(o: { undo?: boolean; health?: 'ok' | 'broken' } = {}): void {
    const key = this.key();
    const service = `svc-${this.index}`;
    const version = `1.${this.index}.${this.steps.length}${o.health === 'broken' ? '-broken' : ''}`;
    this.steps.push({
      action: 'http.request',
      params: {
        method: 'POST',
        url: `${this.demoUrl}/deploys`,
        body: { service, version },
        ...(this.trap === 'http-effect'
          ? { headers: { 'x-demo-hold-ms': String(TRAP_LINGER_SECONDS * 1000) } }
          : {}),
        ...(o.undo
          ? {
              undo: {
                method: 'POST',
                url: `${this.demoUrl}/deploys`,
                body: { service, version: `1.${this.index}.0-previous` },
              },
            }
          : {}),
        ...(o.health ? { healthUrl: `${this.demoUrl}/services/${service}/health` } : {}),
      },
    });
    this.effects.push({ action: 'http.request', key, undoable: o.undo === true });
  }

  /** A helpdesk reply (customer-email drafts). */
  reply(): void {
    const key = this.key();
    this.steps.push({
      action: 'http.request',
      params: {
        method: 'POST',
        url: `${this.demoUrl}/tickets/${4000 + this.index}/replies`,
        body: { text: `Hello, ticket ${4000 + this.index} is fixed.` },
      },
    });
    this.effects.push({ action: 'http.request', key, undoable: false });
  }

  /** Sets two keys in a config file of its own, then reloads the demo service. */
  configSet(o: { health?: 'ok' | 'broken' } = {}): void {
    const key = this.key();
    const file = `chaos/config-${this.index}-${this.steps.length}.json`;
    const previous = { rateLimitRps: 10, searchRankingV2: false };
    const set = { rateLimitRps: 11 + (this.index % 89), searchRankingV2: true };
    this.seedFiles.push({ path: file, content: `${JSON.stringify(previous, null, 2)}\n` });
    const healthUrl =
      o.health === 'broken' ? `${this.demoUrl}/services/${BROKEN_SERVICE}/health` : `${this.demoUrl}/health`;
    this.steps.push({
      action: 'config.set',
      params: { file, set, reloadUrl: `${this.demoUrl}/reload`, ...(o.health ? { healthUrl } : {}) },
    });
    this.effects.push({ action: 'config.set', key, file, set, previous });
  }

  /** Writes a new file of its own in the workspace. */
  fileWrite(): void {
    const key = this.key();
    const path = `chaos/file-${this.index}-${this.steps.length}.txt`;
    const content = `written by ${this.workflowId} step ${this.steps.length}\n`;
    this.steps.push({ action: 'file.write', params: { path, content } });
    this.effects.push({ action: 'file.write', key, path, content });
  }
}

/** The templates a trap task is made from: the step it kills the worker in is its first. */
const TRAP_TEMPLATE: Record<TrapKind, string> = {
  'shell-effect': 'r3-shell',
  'http-effect': 'r3-deploy',
  compensation: 'r4-deploy-rollback',
};

/**
 * One task of the mix: rungs in equal shares, a template of that rung picked at random, answers
 * (which one, Slack or CLI) decided here so a seed repeats them. Deterministic for (seed, index).
 *
 * @param trap - makes the task one that times a worker kill (see {@link TrapKind}).
 */
export function planTask(index: number, rnd: Random, ctx: MixContext, trap?: TrapKind): PlannedTask {
  const rung = rnd.int(0, 5);
  const template = trap
    ? TEMPLATES.find((t) => t.kind === TRAP_TEMPLATE[trap])!
    : rnd.pick(TEMPLATES.filter((t) => t.rung === rung));
  const agent = ctx.policy.agents[template.agent];
  if (!agent) throw new Error(`the chaos policy has no agent "${template.agent}"`);
  const taskId = `c${ctx.seed}-${String(index).padStart(4, '0')}-${trap ? `trap-${trap}` : template.kind}`;
  const workflowId = `task/${template.agent}/${taskId}`;
  const builder = new StepBuilder(workflowId, index, ctx.demoUrl, trap);
  template.build(builder);
  const [yes, no] = template.answers;
  const kind = no !== undefined && rnd.chance(template.noShare ?? 0) ? no : yes;
  // Reasons are typed into a modal in Slack: rejections and declines go through the CLI.
  const cliOnly = template.cliOnly === true || kind === 'reject' || kind === 'decline';
  const via: Via = cliOnly ? 'cli' : rnd.chance(0.5) ? 'slack' : 'cli';
  return {
    index,
    kind: trap ? `trap-${trap}` : template.kind,
    rung: template.rung,
    workflowId,
    request: {
      taskId,
      agent: { id: template.agent, model: agent.model, promptVersion: agent.promptVersion },
      taskClass: template.taskClass,
      title: `Chaos ${index}: ${template.kind}${trap ? ` (times a worker kill: ${trap})` : ''}`,
      requester: template.requester(ctx.policy),
      environment: template.environment,
      resource: `chaos-${index}`,
      ...(template.requestedRung !== undefined
        ? { requestedRung: { rung: template.requestedRung, reason: 'the chaos run asks for this rung' } }
        : {}),
      steps: builder.steps,
    },
    answer: kind === undefined ? null : { kind, via },
    rollsBack: template.rollsBack === true,
    steps: builder.effects,
    seedFiles: builder.seedFiles,
    trap,
    submitViaCli: !trap && rnd.chance(0.05),
  };
}
