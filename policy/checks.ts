import { parseDuration } from './duration';

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

  for (const [className, tc] of entries(classes)) {
    const at = (...rest: Path): Path => ['taskClasses', className, ...rest];
    const classActions = new Set(strings(tc.actions));
    const cap = typeof tc.cap === 'number' ? tc.cap : undefined;

    if (isObj(tc.approvers)) {
      strings(tc.approvers.groups).forEach((g, i) => {
        if (!groups.has(g))
          errors.push({
            path: at('approvers', 'groups', i),
            message: `unknown group "${g}" (declare it under groups)`,
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
            message: `"${a}" is not one of this class's actions (${[...classActions].join(', ')})`,
          });
        }
      });
    } else if (cap !== undefined && cap >= 3) {
      warnings.push({
        path: at('bounds'),
        message: `cap is ${cap} but no bounds are defined: tasks of this class stay at rung 2 or below`,
      });
    }
    if (Array.isArray(tc.pins)) {
      tc.pins.forEach((pin, i) => {
        if (!isObj(pin) || !isObj(pin.when)) return;
        strings(pin.when.actions).forEach((a, j) => {
          if (classActions.size > 0 && !classActions.has(a)) {
            errors.push({
              path: at('pins', i, 'when', 'actions', j),
              message: `"${a}" is not one of this class's actions`,
            });
          }
        });
      });
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
        (n, g) => n + (isObj(doc.groups) ? strings(doc.groups[g]).length : 0),
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
          message: `unknown task class "${className}" (declared: ${[...classNames].join(', ') || 'none'})`,
        });
        continue;
      }
      const cap = (classes[className] as Obj).cap;
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
      errors.push({ path: ['killSwitch', 'agents', i], message: `unknown agent "${a}"` });
  });
  const canary = isObj(doc.canary) ? doc.canary : undefined;
  strings(canary?.agents).forEach((a, i) => {
    if (!agentNames.has(a)) errors.push({ path: ['canary', 'agents', i], message: `unknown agent "${a}"` });
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
