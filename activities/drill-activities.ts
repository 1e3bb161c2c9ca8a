import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedPolicy } from '../policy/loader';
import type { ActionRegistry } from './actions/registry';
import type { ActionContext } from './actions/contract';
import type { LedgerLink } from '../client/ledger-link';

export interface DrillActivityDeps {
  policy: () => LoadedPolicy;
  registry: ActionRegistry;
  workspaceRoot: string;
  sandboxDir: string;
  stateDir: string;
  ledger?: LedgerLink;
}

/** How one action type fared in a drill. */
export interface DrillStepResult {
  action: string;
  passed: boolean;
  detail: string;
}

export interface DrillResult {
  agentId: string;
  taskClass: string;
  passed: boolean;
  steps: DrillStepResult[];
}

/**
 * A drill step per action type, in a scope where executing and undoing harms nothing: a probe file
 * in the workspace's `drills/` folder, or in the sandbox. `verify` says whether the undo restored
 * the state from before. http.request has no such scope: its undo can only be proven against the
 * real target, so it is reported as not drillable.
 */
function drillFor(
  action: string,
  drillId: string,
  dirs: { workspaceRoot: string; sandboxDir: string },
): { params: unknown; setUp?: () => void; verify: () => string | null } | null {
  const folder = `drills/${drillId}`;
  switch (action) {
    case 'file.write': {
      const path = join(dirs.workspaceRoot, folder, 'probe.txt');
      return {
        params: { path: `${folder}/probe.txt`, content: 'drill probe\n' },
        verify: () => (existsSync(path) ? 'the probe file is still there after the undo' : null),
      };
    }
    case 'config.set': {
      const path = join(dirs.workspaceRoot, folder, 'probe.json');
      return {
        params: { file: `${folder}/probe.json`, set: { probe: 'after' } },
        setUp: () => {
          mkdirSync(join(dirs.workspaceRoot, folder), { recursive: true });
          writeFileSync(path, JSON.stringify({ probe: 'before' }));
        },
        verify: () => {
          const value = (JSON.parse(readFileSync(path, 'utf8')) as { probe?: string }).probe;
          return value === 'before' ? null : `the probe key reads "${value}" after the undo, not "before"`;
        },
      };
    }
    case 'shell.exec': {
      const probe = `${drillId}.probe`;
      return {
        params: {
          command: `mkdir -p drills && echo drill > drills/${probe}`,
          undo: `rm -f drills/${probe}`,
        },
        verify: () =>
          existsSync(join(dirs.sandboxDir, 'drills', probe)) ? 'the probe file survived the undo' : null,
      };
    }
    default:
      return null;
  }
}

/** Rollback drills: execute, then deliberately compensate, every action type of a class in a safe scope. */
export function createDrillActivities(deps: DrillActivityDeps) {
  return {
    /**
     * Runs the drill and reports the result to the agent's ledger (a passed drill is the evidence
     * rung 4 needs). Each action type is executed with its real handler, compensated, and checked.
     */
    async rollbackDrill(args: {
      agentId: string;
      taskClass: string;
      drillId: string;
      by: string;
    }): Promise<DrillResult> {
      const cls = deps.policy().taskClasses[args.taskClass];
      if (!cls) throw new Error(`unknown task class "${args.taskClass}"`);
      const steps: DrillStepResult[] = [];
      for (const action of cls.actions) {
        const drill = drillFor(action, args.drillId, deps);
        if (!drill) {
          steps.push({
            action,
            passed: false,
            detail: `no safe scope to drill ${action} in: its undo can only be proven against the real target`,
          });
          continue;
        }
        const ctx: ActionContext = {
          idempotencyKey: `drill/${args.drillId}/${action}`,
          workspaceRoot: deps.workspaceRoot,
          stateDir: deps.stateDir,
          sandboxDir: deps.sandboxDir,
        };
        try {
          const handler = deps.registry.get(action);
          const params = handler.params.parse(drill.params);
          drill.setUp?.();
          const undo = await handler.execute(params, ctx);
          await handler.compensate(params, undo, ctx);
          const problem = drill.verify();
          steps.push(
            problem
              ? { action, passed: false, detail: problem }
              : { action, passed: true, detail: 'executed, compensated, and the state from before is back' },
          );
        } catch (err) {
          steps.push({ action, passed: false, detail: `failed: ${(err as Error).message}` });
        }
      }
      const result: DrillResult = {
        agentId: args.agentId,
        taskClass: args.taskClass,
        passed: steps.every((s) => s.passed),
        steps,
      };
      await deps.ledger?.send(args.agentId, {
        id: `drill/${args.drillId}`,
        event: {
          kind: 'drill',
          taskClass: args.taskClass,
          by: args.by,
          passed: result.passed,
          detail: steps.map((s) => `${s.action}: ${s.passed ? 'passed' : s.detail}`).join('; '),
        },
      });
      return result;
    },
  };
}
