import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionContext } from '../../../activities/actions/contract';

/** A fresh workspace, sandbox and state folder, and a context for step `key`. */
export function actionContext(
  key = 'task/agent/t1#0',
  extra: Partial<ActionContext> = {},
): ActionContext & { base: string } {
  const base = mkdtempSync(join(tmpdir(), 'ladder-actions-'));
  const ctx = {
    base,
    idempotencyKey: key,
    workspaceRoot: join(base, 'workspace'),
    sandboxDir: join(base, 'sandbox'),
    stateDir: join(base, 'state'),
    ...extra,
  };
  mkdirSync(ctx.workspaceRoot, { recursive: true });
  mkdirSync(ctx.sandboxDir, { recursive: true });
  return ctx;
}
