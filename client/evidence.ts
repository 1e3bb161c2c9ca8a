import { own } from '../policy/own';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { DrillResult } from '../activities/drill-activities';
import type { LoadedPolicy } from '../policy/loader';
import {
  auditVerdictUpdate,
  decideProposalUpdate,
  drillWorkflowId,
  ledgerWorkflowId,
  reportEvidenceUpdate,
  statusQuery,
  type HumanEvidenceArgs,
} from '../workflows/messages';
import { rollbackDrill } from '../workflows/rollback-drill';
import { trustLedger } from '../workflows/trust-ledger';
import { deliverSigned, type EntityCaller } from './entity-answer';
import { ledgerStartOptions } from './ledger-link';
import { forEachHistoryEvent } from './history-events';
import { grpcErrorIn } from './grpc-errors';

/** Where the ledgers live, who vouches for the person giving evidence, and how long to try. */
export type EvidenceCaller = EntityCaller;

/** What an unconfirmed answer to a ledger tells the person to check. */
const LEDGER_WHERE_TO_LOOK =
  "`/ladder status` in Slack (or `ladder history <agent>`) shows the agent's rungs: check whether it took effect before sending it again";

/**
 * Sends a person's evidence to the agent's ledger as a signed update, starting the ledger if it
 * has none yet; the ledger checks the proof and the person's standing.
 *
 * @throws {EvidenceError} with the ledger's reason when it refuses the evidence.
 */
async function sendEvidence(
  client: Client,
  caller: EvidenceCaller,
  agentId: string,
  evidence: HumanEvidenceArgs,
): Promise<void> {
  const workflowId = ledgerWorkflowId(caller.taskQueue, agentId);
  const signed = caller.signer.sign(workflowId, reportEvidenceUpdate.name, evidence);
  const sent = await deliverSigned(client, workflowId, caller.delivery, LEDGER_WHERE_TO_LOOK, (updateId) =>
    client.workflow.executeUpdateWithStart(reportEvidenceUpdate, {
      args: [signed],
      updateId,
      // An operation runs once: each try has its own.
      startWorkflowOperation: new WithStartWorkflowOperation(trustLedger, {
        ...ledgerStartOptions(caller.taskQueue, agentId),
        args: [{ agentId }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    }),
  );
  if (!sent.ok) throw new EvidenceError(sent.reason);
}

/** Raised when evidence is refused: unknown task or agent, or a person without the standing to give it. */
export class EvidenceError extends Error {}

/** Who may demote an agent in a class by their word: admins, the class's approvers, the agent's owner. */
function mayReport(policy: LoadedPolicy, by: string, agentId: string, taskClass: string): boolean {
  return (
    policy.admins.includes(by) ||
    (own(policy.approversByClass, taskClass) ?? []).includes(by) ||
    own(policy.agents, agentId)?.owner === by
  );
}

/**
 * Reports a defect found after a task was approved or ran on its own: counted against the agent in
 * the task's class, and a demotion to the incident rung.
 *
 * @throws {EvidenceError} for a task that does not exist or a reporter without standing.
 */
export async function reportDefect(
  client: Client,
  caller: EvidenceCaller,
  policy: LoadedPolicy,
  report: { workflowId: string; by: string; text: string },
): Promise<{ agentId: string; taskClass: string }> {
  const match = /^task\/([^/]+)\/(.+)$/.exec(report.workflowId);
  if (!match)
    throw new EvidenceError(`"${report.workflowId}" is not a task workflow id (task/<agent>/<taskId>)`);
  if (!report.text.trim()) throw new EvidenceError('say what went wrong');
  const agentId = match[1];
  let taskClass: string;
  try {
    const status = await client.workflow.getHandle(report.workflowId).query(statusQuery);
    if (!status.decision) throw new Error('not decided yet');
    taskClass = status.decision.taskClass;
  } catch (err) {
    throw new EvidenceError(`no decided task ${report.workflowId}: ${(err as Error).message}`);
  }
  if (!mayReport(policy, report.by, agentId, taskClass)) {
    throw new EvidenceError(
      `${report.by} may not report defects for ${agentId} in ${taskClass} (admins, the class's approvers and the agent's owner may)`,
    );
  }
  // The ledger counts one defect per task: a second reporter is told who reported it, not "recorded".
  const id = `defect/${report.workflowId}`;
  const earlier = await earlierReporter(client, ledgerWorkflowId(caller.taskQueue, agentId), id);
  if (earlier !== undefined && earlier !== report.by)
    throw new EvidenceError(
      `a defect in ${report.workflowId} was already reported by ${earlier}; a task's defect counts once, so this report was not counted again`,
    );
  await sendEvidence(client, caller, agentId, {
    id,
    kind: 'defect',
    workflowId: report.workflowId,
    taskClass,
    by: report.by,
    text: report.text,
  });
  return { agentId, taskClass };
}

/**
 * Who reported the evidence `id` to the ledger `ledgerId` in its current run: the `by` of an
 * accepted `reportEvidence` update with that id that completed without failure. Undefined when
 * none did, or the ledger has not started. Reads the run's history (kept short by the ledger's
 * continue-as-new).
 */
async function earlierReporter(client: Client, ledgerId: string, id: string): Promise<string | undefined> {
  const reporters = new Map<string, string>();
  let found: string | undefined;
  try {
    await forEachHistoryEvent(client, ledgerId, undefined, (event) => {
      const accepted = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
      const payload = accepted?.input?.args?.payloads?.[0];
      if (accepted?.input?.name === reportEvidenceUpdate.name && accepted.meta?.updateId && payload) {
        const args = defaultPayloadConverter.fromPayload<HumanEvidenceArgs>(payload);
        if (args?.id === id) reporters.set(accepted.meta.updateId, args.by);
      }
      const completed = event.workflowExecutionUpdateCompletedEventAttributes;
      const by = reporters.get(completed?.meta?.updateId ?? '');
      if (by !== undefined && completed?.outcome?.success) found ??= by;
    });
  } catch (err) {
    if (grpcErrorIn(err)?.code === grpcStatus.NOT_FOUND) return undefined;
    throw err;
  }
  return found;
}

/**
 * Declares an incident caused by an agent in a class: it goes to the policy's incident rung at once.
 *
 * @param id - makes a repeated declaration count once (e.g. the Slack request or a CLI run id).
 * @throws {EvidenceError} for an unknown agent or class, or a person without standing.
 */
export async function declareIncident(
  client: Client,
  caller: EvidenceCaller,
  policy: LoadedPolicy,
  incident: { id: string; agentId: string; taskClass: string; by: string; text: string },
): Promise<void> {
  if (!own(policy.agents, incident.agentId))
    throw new EvidenceError(
      `unknown agent "${incident.agentId}" (declared: ${Object.keys(policy.agents).join(', ')})`,
    );
  if (!own(policy.taskClasses, incident.taskClass))
    throw new EvidenceError(
      `unknown task class "${incident.taskClass}" (declared: ${Object.keys(policy.taskClasses).join(', ')})`,
    );
  if (!mayReport(policy, incident.by, incident.agentId, incident.taskClass))
    throw new EvidenceError(
      `${incident.by} may not declare incidents for ${incident.agentId} in ${incident.taskClass} (admins, the class's approvers and the agent's owner may)`,
    );
  await sendEvidence(client, caller, incident.agentId, {
    id: `incident/${incident.id}`,
    kind: 'incident',
    taskClass: incident.taskClass,
    by: incident.by,
    text: incident.text || 'incident declared',
  });
}

/**
 * Sends a person's signed answer to the agent's ledger; the ledger checks the proof and standing.
 *
 * @returns the ledger's refusal as `{ ok: false, reason }`.
 */
async function answerLedger<A extends object>(
  client: Client,
  caller: EvidenceCaller,
  agentId: string,
  update: typeof decideProposalUpdate | typeof auditVerdictUpdate,
  args: A,
): Promise<{ ok: true; at: string } | { ok: false; reason: string }> {
  const workflowId = ledgerWorkflowId(caller.taskQueue, agentId);
  const signed = caller.signer.sign(workflowId, update.name, args) as never;
  const handle = client.workflow.getHandle(workflowId);
  const sent = await deliverSigned(client, workflowId, caller.delivery, LEDGER_WHERE_TO_LOOK, (updateId) =>
    handle.executeUpdate(update as typeof decideProposalUpdate, { args: [signed], updateId }),
  );
  return sent.ok ? { ok: true, at: sent.result.at } : sent;
}

/**
 * Approves (one rung up) or declines a promotion proposal as `by`; the ledger checks that `by` may.
 *
 * @returns the ledger's refusal as `{ ok: false, reason }`.
 */
export function decideProposal(
  client: Client,
  caller: EvidenceCaller,
  decision: { agentId: string; proposalId: string; by: string; approve: boolean },
): Promise<{ ok: true; at: string } | { ok: false; reason: string }> {
  return answerLedger(client, caller, decision.agentId, decideProposalUpdate, {
    proposalId: decision.proposalId,
    by: decision.by,
    approve: decision.approve,
  });
}

/**
 * Gives a post-hoc audit verdict on a sampled autonomous outcome as `by`; the ledger checks that
 * `by` may review the class, and that a disagreement has a reason.
 */
export function giveAuditVerdict(
  client: Client,
  caller: EvidenceCaller,
  verdict: { agentId: string; auditId: string; by: string; agree: boolean; reason?: string },
): Promise<{ ok: true; at: string } | { ok: false; reason: string }> {
  return answerLedger(client, caller, verdict.agentId, auditVerdictUpdate, {
    auditId: verdict.auditId,
    by: verdict.by,
    agree: verdict.agree,
    reason: verdict.reason,
  });
}

/**
 * Runs a rollback drill for an agent in a class on the worker (execute, then deliberately
 * compensate, every action type in a safe scope) and waits for its result; the ledger records it.
 *
 * @throws {EvidenceError} for an unknown agent or class, or a person without standing.
 */
export async function runRollbackDrill(
  client: Client,
  options: { taskQueue: string; policy: LoadedPolicy },
  drill: { agentId: string; taskClass: string; by: string; id: string },
): Promise<DrillResult> {
  const { policy } = options;
  if (!own(policy.agents, drill.agentId))
    throw new EvidenceError(
      `unknown agent "${drill.agentId}" (declared: ${Object.keys(policy.agents).join(', ')})`,
    );
  if (!own(policy.taskClasses, drill.taskClass))
    throw new EvidenceError(
      `unknown task class "${drill.taskClass}" (declared: ${Object.keys(policy.taskClasses).join(', ')})`,
    );
  if (!mayReport(policy, drill.by, drill.agentId, drill.taskClass))
    throw new EvidenceError(
      `${drill.by} may not run drills for ${drill.agentId} in ${drill.taskClass} (admins, the class's approvers and the agent's owner may)`,
    );
  return client.workflow.execute(rollbackDrill, {
    workflowId: drillWorkflowId(options.taskQueue, drill.agentId, drill.taskClass, drill.id),
    taskQueue: options.taskQueue,
    args: [{ agentId: drill.agentId, taskClass: drill.taskClass, by: drill.by }],
    workflowExecutionTimeout: '10 minutes',
  });
}
