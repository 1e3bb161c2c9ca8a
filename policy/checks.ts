import { ownershipClashes } from './environment-targets';
import { parseDuration } from './duration';
import { KNOWN_ACTIONS } from './known-actions';
import { hostListed } from './hosts';
import { own } from './own';

/** One thing wrong (or worth knowing) about a policy, located by its path in the file. */
export interface PolicyProblem {
  /** Dotted path in the file, e.g. `taskClasses.deploy.bounds.perDay.costUsd`; `(root)` for the top. */
  path: string;
  message: string;
  /** 1-based line in the source file, when known. */
  line?: number;
}

type Path = (string | number)[];
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
const entries = (v: unknown): [string, Obj][] =>
  isObj(v) ? Object.entries(v).filter((e): e is [string, Obj] => isObj(e[1])) : [];

/** Edit distance with adjacent transpositions (optimal string alignment): `shell.exce` is 1 from `shell.exec`. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2][j - 2] + 1);
      rows[i][j] = d;
    }
  }
  return rows[a.length][b.length];
}

/**
 * The candidate `word` most likely meant: the nearest by edit distance (at most a third of its
 * length), else the only candidate it abbreviates (`prod` → `production`). Bounded work: a huge
 * candidate list or a very long word gets no suggestion rather than a slow one.
 */
export function closestName(word: string, candidates: Iterable<string>): string | undefined {
  const list = [...new Set(candidates)].filter((c) => c !== word && c.length <= 100);
  if (list.length === 0 || list.length > 500 || word.length === 0 || word.length > 100) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of list) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best !== undefined && bestDistance <= Math.max(1, Math.floor(word.length / 3))) return best;
  const abbreviated = list.filter((c) => word.length >= 3 && c.startsWith(word));
  return abbreviated.length === 1 ? abbreviated[0] : undefined;
}

/** `; did you mean "x"?` when a candidate is close, else the empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const best = closestName(word, candidates);
  return best === undefined ? '' : `; did you mean "${best}"?`;
}

/**
 * The most health checks a rung-4 task's watch makes per window: each round is an activity per
 * step in the task's history, so the window / interval ratio bounds how large it grows.
 */
export const MAX_HEALTH_CHECKS = 120;
const showDuration = (raw: unknown): string => (typeof raw === 'string' ? raw : String(raw));
const durationOf = (raw: unknown): number | undefined =>
  typeof raw === 'string' ? parseDuration(raw) : undefined;

/** Joins a path the way errors show it: `taskClasses.deploy.pins[0].when`. */
export function formatPath(path: Path): string {
  if (path.length === 0) return '(root)';
  return path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out === '' ? part : `${out}.${part}`),
    '',
  );
}

/**
 * Cross-reference checks that a per-field schema cannot express. They run on the raw document
 * (defensively: any part may be malformed), so they report alongside schema errors and a file with
 * ten mistakes shows all ten at once.
 *
 * @returns errors (the policy must not load) and warnings (it loads, but something will not work as one might expect).
 */
export function crossCheck(doc: unknown): {
  errors: { path: Path; message: string }[];
  warnings: { path: Path; message: string }[];
} {
  const errors: { path: Path; message: string }[] = [];
  const warnings: { path: Path; message: string }[] = [];
  if (!isObj(doc)) return { errors, warnings };

  const classes = isObj(doc.taskClasses) ? doc.taskClasses : {};
  const classNames = new Set(Object.keys(classes));
  const groups = new Set(isObj(doc.groups) ? Object.keys(doc.groups) : []);
  const agents = isObj(doc.agents) ? doc.agents : {};
  const agentNames = new Set(Object.keys(agents));
  // An action "exists" when Ladder ships a handler for it (a class naming another is refused below).
  const anyActions = new Set<string>(KNOWN_ACTIONS);
  const declaredEnvs = Array.isArray(doc.environments) ? new Set(strings(doc.environments)) : undefined;
  if (doc.environments === undefined) {
    warnings.push({
      path: ['environments'],
      message:
        'no environments declared (e.g. environments: [dev, staging, production]): task environments are not checked, so a typo such as "prod" silently misses every pin and bound naming "production"',
    });
  }
  const checkEnvironments = (list: unknown, path: Path): void => {
    if (declaredEnvs === undefined) return;
    strings(list).forEach((env, i) => {
      if (!declaredEnvs.has(env))
        errors.push({
          path: [...path, i],
          message: `unknown environment "${env}" (declared: ${[...declaredEnvs].join(', ') || 'none'})${didYouMean(env, declaredEnvs)}`,
        });
    });
  };
  const checkPinActions = (list: unknown, path: Path, classActions?: Set<string>): void => {
    strings(list).forEach((a, j) => {
      if (!anyActions.has(a)) {
        errors.push({
          path: [...path, j],
          message: `unknown action type "${a}" (known: ${[...anyActions].sort().join(', ')})${didYouMean(a, classActions && classActions.size > 0 ? [...classActions, ...anyActions] : anyActions)}`,
        });
      } else if (classActions && classActions.size > 0 && !classActions.has(a)) {
        errors.push({
          path: [...path, j],
          message: `"${a}" is not one of this class's actions (${[...classActions].join(', ')})`,
        });
      }
    });
  };
  if (isObj(doc.environmentTargets)) {
    // What an environment owns means nothing unless tasks must name declared environments.
    if (declaredEnvs === undefined)
      errors.push({
        path: ['environmentTargets'],
        message:
          'environmentTargets needs environments declared (e.g. environments: [dev, staging, production]): otherwise a task may name an environment that owns nothing',
      });
    for (const env of Object.keys(doc.environmentTargets)) {
      if (declaredEnvs !== undefined && !declaredEnvs.has(env))
        errors.push({
          path: ['environmentTargets', env],
          message: `unknown environment "${env}" (declared: ${[...declaredEnvs].join(', ') || 'none'})${didYouMean(env, declaredEnvs)}`,
        });
    }
    errors.push(...ownershipClashes(doc.environmentTargets));
  }
  if (Array.isArray(doc.pins)) {
    doc.pins.forEach((pin, i) => {
      if (!isObj(pin) || !isObj(pin.when)) return;
      checkPinActions(pin.when.actions, ['pins', i, 'when', 'actions']);
      checkEnvironments(pin.when.environments, ['pins', i, 'when', 'environments']);
    });
  }

  for (const [className, tc] of entries(classes)) {
    const at = (...rest: Path): Path => ['taskClasses', className, ...rest];
    const classActions = new Set(strings(tc.actions));
    // Only the built-in handlers run: a class action Ladder has none for refuses every task that
    // uses it, so it is a typo, named here rather than at the first submission.
    strings(tc.actions).forEach((a, i) => {
      if (!KNOWN_ACTIONS.includes(a))
        errors.push({
          path: at('actions', i),
          message: `unknown action type "${a}" (known: ${KNOWN_ACTIONS.join(', ')})${didYouMean(a, KNOWN_ACTIONS)}`,
        });
    });
    const cap = typeof tc.cap === 'number' ? tc.cap : undefined;
    if (isObj(tc.edits))
      for (const action of Object.keys(tc.edits))
        if (classActions.size > 0 && !classActions.has(action))
          errors.push({
            path: at('edits', action),
            message: `"${action}" is not one of this class's actions (${[...classActions].join(', ')}): its params cannot be edited here`,
          });

    if (isObj(tc.approvers)) {
      strings(tc.approvers.groups).forEach((g, i) => {
        if (!groups.has(g))
          errors.push({
            path: at('approvers', 'groups', i),
            message: `unknown group "${g}" (declare it under groups)${didYouMean(g, groups)}`,
          });
      });
      if (strings(tc.approvers.users).length === 0 && strings(tc.approvers.groups).length === 0) {
        errors.push({
          path: at('approvers'),
          message:
            'expected at least one approver (users or groups): nobody could approve tasks of this class',
        });
      }
    }
    if (isObj(tc.bounds)) {
      strings(tc.bounds.actions).forEach((a, i) => {
        if (classActions.size > 0 && !classActions.has(a)) {
          errors.push({
            path: at('bounds', 'actions', i),
            message: `"${a}" is not one of this class's actions (${[...classActions].join(', ')})${didYouMean(a, classActions)}`,
          });
        }
      });
      checkEnvironments(tc.bounds.environments, at('bounds', 'environments'));
      checkStepCosts(tc.bounds, at('bounds'), classActions, warnings, errors);
      checkRequestHosts(tc.bounds, at('bounds'), warnings);
    } else if (cap !== undefined && cap >= 3) {
      warnings.push({
        path: at('bounds'),
        message: `cap is ${cap} but no bounds are defined: tasks of this class stay at rung 2 or below`,
      });
    }
    if (Array.isArray(tc.pins)) {
      tc.pins.forEach((pin, i) => {
        if (!isObj(pin) || !isObj(pin.when)) return;
        checkPinActions(pin.when.actions, at('pins', i, 'when', 'actions'), classActions);
        checkEnvironments(pin.when.environments, at('pins', i, 'when', 'environments'));
      });
    }
    if (isObj(tc.approval)) {
      const remind = durationOf(tc.approval.remindAfter);
      const expire = durationOf(tc.approval.expireAfter);
      if (remind !== undefined && expire !== undefined && remind >= expire) {
        errors.push({
          path: at('approval', 'remindAfter'),
          message: `expected remindAfter (${showDuration(tc.approval.remindAfter)}) to be shorter than expireAfter (${showDuration(tc.approval.expireAfter)}): the reminder would never be sent`,
        });
      }
    }
    if (isObj(tc.rollback)) {
      const window = durationOf(tc.rollback.healthWindow);
      const interval = durationOf(tc.rollback.healthInterval);
      if (window !== undefined && interval !== undefined && interval > window) {
        errors.push({
          path: at('rollback', 'healthInterval'),
          message: `expected healthInterval (${showDuration(tc.rollback.healthInterval)}) to be at most healthWindow (${showDuration(tc.rollback.healthWindow)}): health would never be checked inside the window`,
        });
      } else if (interval === 0) {
        errors.push({
          path: at('rollback', 'healthInterval'),
          message: 'expected a healthInterval above 0: the health watch would never end',
        });
      } else if (
        window !== undefined &&
        interval !== undefined &&
        Math.ceil(window / interval) > MAX_HEALTH_CHECKS
      ) {
        // Every round is an activity per step in the task's history, which Temporal caps.
        errors.push({
          path: at('rollback', 'healthInterval'),
          message: `expected at most ${MAX_HEALTH_CHECKS} health checks per window: healthWindow ${showDuration(tc.rollback.healthWindow)} at healthInterval ${showDuration(tc.rollback.healthInterval)} makes ${Math.ceil(window / interval)}; lengthen the interval`,
        });
      }
    }
    if (isObj(tc.report) && tc.report.mode === 'digest' && tc.report.period === undefined) {
      errors.push({
        path: at('report', 'period'),
        message: 'expected a digest period (e.g. 1d) when mode is digest',
      });
    }
    if (cap !== undefined && cap >= 4 && tc.rollback === undefined) {
      warnings.push({
        path: at('rollback'),
        message: `cap is ${cap} but no rollback health window is set: tasks of this class stay at rung 3 or below`,
      });
    }
    if (cap === 5 && tc.report === undefined) {
      warnings.push({
        path: at('report'),
        message:
          'cap is 5 but no report channel and read SLA are set: tasks of this class stay at rung 4 or below',
      });
    }
    if (Array.isArray(tc.escalation) && isObj(tc.report)) {
      const readSla = durationOf(tc.report.readSla);
      const steps = tc.escalation.filter(isObj);
      const last = steps.length > 0 ? steps[steps.length - 1] : undefined;
      const lastAfter = last ? durationOf(last.after) : undefined;
      if (readSla !== undefined && lastAfter !== undefined && readSla > lastAfter) {
        warnings.push({
          path: at('report', 'readSla'),
          message: `readSla (${showDuration(tc.report.readSla)}) is longer than the escalation chain, whose last step is after ${showDuration(last?.after)}: after that ping nobody else is notified, and an unread report simply waits until the SLA ends at ${showDuration(tc.report.readSla)} and counts as breached`,
        });
      }
    }
    if (Array.isArray(tc.escalation)) {
      let previous = -1;
      tc.escalation.forEach((step, i) => {
        const after = isObj(step) && typeof step.after === 'string' ? parseDuration(step.after) : undefined;
        if (after === undefined) return;
        if (after <= previous)
          errors.push({
            path: at('escalation', i, 'after'),
            message: 'expected each escalation step to come later than the one before',
          });
        previous = after;
      });
    }
    if (tc.twoPersonRule === true && isObj(tc.approvers)) {
      const direct = strings(tc.approvers.users).length;
      const viaGroups = strings(tc.approvers.groups).reduce(
        (n, g) => n + (isObj(doc.groups) ? strings(own(doc.groups, g)).length : 0),
        0,
      );
      if (direct + viaGroups < 2) {
        warnings.push({
          path: at('twoPersonRule'),
          message:
            'the two-person rule is on but fewer than two approvers are declared: a requester who is the only approver can never be approved',
        });
      }
    }
  }

  for (const [agentName, agent] of entries(agents)) {
    if (!isObj(agent.rungs)) continue;
    for (const [className, rung] of Object.entries(agent.rungs)) {
      const path: Path = ['agents', agentName, 'rungs', className];
      if (!classNames.has(className)) {
        errors.push({
          path,
          message: `unknown task class "${className}" (declared: ${[...classNames].join(', ') || 'none'})${didYouMean(className, classNames)}`,
        });
        continue;
      }
      const declared = own(classes, className);
      const cap = isObj(declared) ? declared.cap : undefined;
      if (typeof rung === 'number' && typeof cap === 'number' && rung > cap) {
        warnings.push({
          path,
          message: `rung ${rung} is above the class cap ${cap}: tasks will run at ${cap}`,
        });
      }
    }
  }

  const ks = isObj(doc.killSwitch) ? doc.killSwitch : undefined;
  strings(ks?.agents).forEach((a, i) => {
    if (!agentNames.has(a))
      errors.push({
        path: ['killSwitch', 'agents', i],
        message: `unknown agent "${a}"${didYouMean(a, agentNames)}`,
      });
  });
  const canary = isObj(doc.canary) ? doc.canary : undefined;
  strings(canary?.agents).forEach((a, i) => {
    if (!agentNames.has(a))
      errors.push({
        path: ['canary', 'agents', i],
        message: `unknown agent "${a}"${didYouMean(a, agentNames)}`,
      });
  });

  const promotion = isObj(doc.promotion) ? doc.promotion : undefined;
  if (promotion) {
    const caps = entries(classes)
      .map(([, tc]) => tc.cap)
      .filter((c): c is number => typeof c === 'number');
    const highestCap = Math.min(5, caps.length > 0 ? Math.max(...caps) : 0);
    for (let rung = 1; rung <= highestCap; rung++) {
      if (promotion[`to${rung}`] === undefined) {
        warnings.push({
          path: ['promotion', `to${rung}`],
          message: `no thresholds for promotion into rung ${rung}: no agent can be promoted into it (there are no implicit defaults)`,
        });
      }
    }
  }
  return { errors, warnings };
}

/**
 * `bounds.stepCostUsd` prices only actions the bounds let run, and a daily budget above 0 is
 * honest only where every such action has a price: otherwise it bounds what agents declare.
 */
function checkStepCosts(
  bounds: Record<string, unknown>,
  at: Path,
  classActions: Set<string>,
  warnings: { path: Path; message: string }[],
  errors: { path: Path; message: string }[],
): void {
  const actions = strings(bounds.actions);
  const prices = isObj(bounds.stepCostUsd) ? bounds.stepCostUsd : {};
  const budget = isObj(bounds.perDay) ? bounds.perDay.costUsd : undefined;
  // A bounds action that is itself a typo is refused above; the prices are judged once it is fixed.
  const boundsValid = classActions.size === 0 || actions.every((a) => classActions.has(a));
  for (const [action, price] of Object.entries(prices)) {
    if (!actions.includes(action)) {
      if (!boundsValid) continue;
      errors.push({
        path: [...at, 'stepCostUsd', action],
        message: `"${action}" is not in bounds.actions (${actions.join(', ')}): its steps never run within bounds, so a price means nothing${didYouMean(action, actions)}`,
      });
    } else if (budget === 0 && typeof price === 'number' && price > 0) {
      warnings.push({
        path: [...at, 'stepCostUsd', action],
        message: `each ${action} step costs $${price} but perDay.costUsd is 0: no ${action} step ever runs within bounds`,
      });
    }
  }
  if (typeof budget !== 'number' || budget <= 0) return;
  const unpriced = actions.filter((a) => !Object.hasOwn(prices, a));
  if (unpriced.length > 0)
    warnings.push({
      path: [...at, 'perDay', 'costUsd'],
      message: `perDay.costUsd ($${budget}) bounds only what agents declare for ${unpriced.join(', ')}: an agent that declares no cost is charged $0. Give each a price in bounds.stepCostUsd (e.g. stepCostUsd: { ${unpriced[0]}: 0.5 })`,
    });
}

/**
 * A `bounds.requests` entry whose host `bounds.hosts` does not list can never be sent (the host
 * bound refuses every call to it, asked or not): said, not refused, as the entry harms nothing.
 */
function checkRequestHosts(
  bounds: Record<string, unknown>,
  at: Path,
  warnings: { path: Path; message: string }[],
): void {
  const hosts = Array.isArray(bounds.hosts) ? strings(bounds.hosts) : undefined;
  strings(bounds.requests).forEach((entry, i) => {
    let url: URL;
    try {
      url = new URL(entry.slice(entry.indexOf(' ') + 1));
    } catch {
      return; // the schema names the malformed entry
    }
    if (hosts === undefined || !hostListed(url, hosts))
      warnings.push({
        path: [...at, 'requests', i],
        message: `host "${url.host}" is not in bounds.hosts (${hosts?.join(', ') || 'none'}): no step may call it, so this entry allows nothing`,
      });
  });
}
