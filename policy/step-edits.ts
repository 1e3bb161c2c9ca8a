// Edit before approve, narrowing only: which params of an action an approver may change, and how.
// Pure: the task workflow's validator runs it, and Slack uses it to offer the fields.
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
import { canonicalJson } from './canonical-json';

/**
 * How a param may be changed: `lower` (a number, to a smaller one), `subset` (a list, to fewer of
 * its own items), `subpath` (a path, to one inside it).
 */
export type EditRule = 'lower' | 'subset' | 'subpath';
export const EDIT_RULES: readonly EditRule[] = ['lower', 'subset', 'subpath'];

/** Per action, the params (dot paths into the step's params) an approver may narrow, and how. */
export type EditRules = Readonly<Record<string, Readonly<Record<string, EditRule>>>>;

/** One narrowed param of one step. */
export interface StepEdit {
  /** 0-based step index. */
  step: number;
  path: string;
  from: unknown;
  to: unknown;
  rule: EditRule;
}

type Step = { action: string; params: Record<string, unknown> };

/** The value at a dot path (`body.replicas`), or undefined. Pure. */
export function valueAt(params: unknown, path: string): unknown {
  let at: unknown = params;
  for (const key of path.split('.')) {
    if (at === null || typeof at !== 'object' || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** A copy of `params` with the value at `path` replaced (the path must exist). Pure. */
export function withValueAt(params: unknown, path: string, value: unknown): unknown {
  const [key, ...rest] = path.split('.');
  const copy = Array.isArray(params) ? [...params] : { ...(params as Record<string, unknown>) };
  (copy as Record<string, unknown>)[key] =
    rest.length === 0 ? value : withValueAt((params as Record<string, unknown>)[key], rest.join('.'), value);
  return copy;
}

const same = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

/** Why `to` does not narrow `from` under `rule`, or null when it does. Pure. */
export function whyNotNarrower(rule: EditRule, from: unknown, to: unknown): string | null {
  switch (rule) {
    case 'lower':
      if (typeof from !== 'number' || typeof to !== 'number' || !Number.isFinite(to))
        return 'expected a number';
      return to < from ? null : `${to} is not lower than ${from}`;
    case 'subset':
      if (!Array.isArray(from) || !Array.isArray(to)) return 'expected a list';
      if (to.length === 0) return 'expected at least one item';
      for (const item of to)
        if (!from.some((f) => same(f, item))) return `${canonicalJson(item)} was not in the list`;
      return to.length < from.length && new Set(to.map((t) => canonicalJson(t))).size === to.length
        ? null
        : 'expected fewer items than before, each once';
    case 'subpath': {
      if (typeof from !== 'string' || typeof to !== 'string') return 'expected a path';
      if (to.split('/').some((part) => part === '..' || part === '.'))
        return 'expected a path without . or ..';
      // `.` is the folder relative paths start from: any relative path is inside it.
      if (from === '.' || from === './')
        return to.startsWith('/') || to === '' ? `${to} is not inside ${from}` : null;
      const base = from.endsWith('/') ? from : `${from}/`;
      return to.startsWith(base) && to.length > base.length ? null : `${to} is not inside ${from}`;
    }
  }
}

/**
 * Checks an edit of `before` into `after`: the same steps with the same actions, changed only at
 * params the rules let an approver change, each change narrowing.
 *
 * @returns the edits, or every problem as `steps.<i>.params.<path>: what is wrong`.
 */
export function checkStepEdits(
  rules: EditRules | undefined,
  before: readonly Step[],
  after: readonly Step[],
): { ok: true; edits: StepEdit[] } | { ok: false; errors: string[] } {
  if (!Array.isArray(after) || after.length !== before.length)
    return {
      ok: false,
      errors: [
        `steps: expected the same ${before.length} step(s); an edit narrows steps, never adds or removes them`,
      ],
    };
  const errors: string[] = [];
  const edits: StepEdit[] = [];
  after.forEach((step, i) => {
    const was = before[i];
    if (step?.action !== was.action) {
      errors.push(`steps.${i}.action: expected ${was.action}; an edit never changes the action`);
      return;
    }
    const allowed = rules?.[was.action] ?? {};
    let rest: unknown = step.params;
    for (const [path, rule] of Object.entries(allowed)) {
      const from = valueAt(was.params, path);
      const to = valueAt(step.params, path);
      if (from === undefined || same(from, to)) continue;
      if (to === undefined) {
        errors.push(`steps.${i}.params.${path}: expected a value (${rule}); an edit never removes a param`);
        rest = withValueAt(rest, path, from);
        continue;
      }
      const why = whyNotNarrower(rule, from, to);
      if (why)
        errors.push(`steps.${i}.params.${path}: ${why} (only ${rule} is allowed: widening is refused)`);
      else edits.push({ step: i, path, from, to, rule });
      rest = withValueAt(rest, path, from);
    }
    // Everything else must be exactly as before.
    if (!same(rest, was.params)) {
      const editable = Object.keys(allowed);
      errors.push(
        `steps.${i}.params: only ${editable.length > 0 ? editable.join(', ') : 'nothing'} may be changed for ${was.action}`,
      );
    }
  });
  if (errors.length === 0 && edits.length === 0) errors.push('steps: nothing was changed');
  return errors.length > 0 ? { ok: false, errors } : { ok: true, edits };
}

/** `steps.0.params.body.replicas: 5 → 2` for each edit, for messages and the agent. Pure. */
export function describeEdits(edits: readonly StepEdit[]): string {
  return edits
    .map((e) => `step ${e.step + 1} ${e.path}: ${canonicalJson(e.from)} → ${canonicalJson(e.to)}`)
    .join('; ');
}

/**
 * SHA-256 (hex) of the canonical JSON of `steps`: the same hash the submitting client computes, in
 * plain JS so the workflow sandbox can compute it for edited steps.
 */
export function stepsHashOf(steps: unknown): string {
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(steps))));
}
