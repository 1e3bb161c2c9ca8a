import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { aliasBomb } from '../helpers/hostile-yaml';

// Bad policy files, as an operator (or a hostile edit) would write them over the live policy. One
// table for every entry point that reads a policy: parsePolicy, the PolicyStore that reloads the
// live file (the policy in force must stay), and `ladder policy check`. Each case says the path
// and message of an error it must report, and the line when the mistake is on a line of its own.

export type PolicyFamily = 'yaml' | 'limits' | 'types' | 'references' | 'timers' | 'prototype-keys';

/** Where the base text lives: relative paths in it resolve from here. */
export const POLICY_SOURCE = resolve(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml');
const KEYS_FILE = resolve(__dirname, '..', '..', '.temporal', 'keys', 'answer-keys.json');

/** The task workflow tests' policy, with its keys file by absolute path so a copy loads anywhere. */
export function basePolicyText(): string {
  const text = readFileSync(POLICY_SOURCE, 'utf8');
  const moved = text.replace('keysFile: ../../../.temporal/keys/answer-keys.json', `keysFile: ${KEYS_FILE}`);
  if (moved === text)
    throw new Error('workflow.yaml no longer names ../../../.temporal/keys/answer-keys.json');
  return moved;
}

export interface PolicyCase {
  family: PolicyFamily;
  name: string;
  /** The bad text, and the 1-based line of the mistake when it is on one line. */
  text: (base: string) => { text: string; line?: number };
  /** One error the refusal must report: where (path) and what (message). */
  error: { path: string; message: RegExp };
}

/** `base` with `from` replaced by `to` (exactly once), and the line `to` starts on. */
function edit(from: string, to: string) {
  return (base: string) => {
    const at = base.indexOf(from);
    if (at < 0 || base.indexOf(from, at + 1) >= 0)
      throw new Error(`expected exactly one "${from}" in the policy`);
    const text = base.slice(0, at) + to + base.slice(at + from.length);
    return { text, line: text.slice(0, at).split('\n').length };
  };
}
/** `base` with `from` replaced by `to`, the mistake being `offset` lines into `to`. */
const editAt = (from: string, to: string, offset: number) => (base: string) => {
  const out = edit(from, to)(base);
  return { text: out.text, line: out.line + offset };
};
const whole = (text: string) => () => ({ text });
const appended = (tail: string) => (base: string) => ({
  text: `${base}${tail}`,
  line: base.split('\n').length + (base.endsWith('\n') ? 0 : 1),
});

const OPS_CAP = '  ops:\n    cap: 5\n';
const OPS_APPROVERS = 'approvers: { groups: [approvers] }';
// Without its closing brace: a2 also holds the expiry classes' rungs after these three.
const A2_RUNGS = 'rungs: { ops: 2, fast: 2, db: 2';
const OPS_HOSTS = "hosts: ['127.0.0.1:4199']";
const OPS_APPROVAL = 'approval: { remindAfter: 30m, expireAfter: 1h }\n    rollback: { healthWindow: 1s';
const FAST_ROLLBACK =
  'rollback: { healthWindow: 500ms, healthInterval: 250ms }\n    report: { mode: each, readSla: 2s';
const VERSION = "version: 'test-workflow'";
const ADMINS = 'admins: [U0ADMIN01]';
const AGENTS = 'agents:\n';

function manyAgents(count: number, owner: string): string {
  return Array.from(
    { length: count },
    (_, i) => `  b${i}: { owner: ${owner}, model: m, promptVersion: p, rungs: {} }\n`,
  ).join('');
}

export const POLICY_CASES: PolicyCase[] = [
  // --- YAML itself -------------------------------------------------------------------------------
  {
    family: 'yaml',
    name: 'an unclosed flow list',
    text: (b) => ({ text: edit(ADMINS, 'admins: [U0ADMIN01')(b).text }),
    error: { path: '(yaml)', message: /flow|Missing|expected/i },
  },
  {
    family: 'yaml',
    name: 'a tab as indentation',
    text: editAt(OPS_CAP, '  ops:\n\tcap: 5\n', 1),
    error: { path: '(yaml)', message: /Tabs are not allowed as indentation/ },
  },
  {
    family: 'yaml',
    name: 'a duplicate top-level key',
    text: appended("version: 'again'\n"),
    error: { path: '(yaml)', message: /Map keys must be unique: "version" appears more than once/ },
  },
  {
    family: 'yaml',
    name: 'a duplicate key in a class',
    text: editAt(OPS_CAP, '  ops:\n    cap: 5\n    cap: 3\n', 2),
    error: { path: '(yaml)', message: /Map keys must be unique: "cap" appears more than once/ },
  },
  {
    family: 'yaml',
    name: 'an unterminated quote',
    text: edit(VERSION, "version: 'test-workflow"),
    error: { path: '(yaml)', message: /Missing closing 'quote/ },
  },
  {
    family: 'yaml',
    name: 'an invalid escape',
    text: edit(VERSION, 'version: "bad \\q escape"'),
    error: { path: '(yaml)', message: /Invalid escape sequence \\q/ },
  },
  {
    family: 'yaml',
    name: 'two documents in one file',
    text: appended('---\nversion: 2\n'),
    error: { path: '(yaml)', message: /multiple documents/ },
  },
  {
    family: 'yaml',
    name: 'an alias to an anchor never set',
    text: edit(VERSION, 'version: *nope'),
    error: { path: '(yaml)', message: /Unresolved alias .*nope/ },
  },
  {
    family: 'yaml',
    name: 'a !!js/function tag',
    text: edit(VERSION, "version: !!js/function 'x'"),
    error: { path: '(yaml)', message: /Unresolved tag: .*js\/function/ },
  },
  {
    family: 'yaml',
    name: 'a !!binary version',
    text: edit(VERSION, 'version: !!binary aGVsbG8='),
    error: { path: 'version', message: /expected a version string/ },
  },
  {
    family: 'yaml',
    name: 'a list at the top',
    text: whole('- version: 1\n- admins: []\n'),
    error: { path: '(root)', message: /expected a mapping, got a list/ },
  },
  {
    family: 'yaml',
    name: 'a scalar at the top',
    text: whole('approve everything\n'),
    error: { path: '(root)', message: /expected a mapping, got "approve everything"/ },
  },
  {
    family: 'yaml',
    name: 'an empty file',
    text: whole(''),
    error: { path: '(root)', message: /the policy file is empty/ },
  },
  {
    family: 'yaml',
    name: 'a file of comments only',
    text: whole('# policy moved elsewhere\n'),
    error: { path: '(root)', message: /the policy file is empty/ },
  },
  {
    family: 'yaml',
    name: 'a NUL byte',
    text: edit(VERSION, "version: 'test\u0000workflow'"),
    error: { path: '(yaml)', message: /contains U\+0000 \(a control character\) at column 15/ },
  },
  {
    family: 'yaml',
    name: 'an ESC sequence',
    text: edit(VERSION, "version: '\u001b[8mtest-workflow'"),
    error: { path: '(yaml)', message: /contains U\+001B \(a control character\)/ },
  },
  {
    family: 'yaml',
    name: 'a right-to-left override hiding an approver',
    text: edit(OPS_APPROVERS, 'approvers: { groups: [approvers] } #\u202e ]srevorppa[ :spuorg'),
    error: { path: '(yaml)', message: /contains U\+202E \(a bidirectional control\)/ },
  },
  {
    family: 'yaml',
    name: 'a merge of a number',
    text: edit('promotion: {}', 'promotion: { <<: 5 }'),
    error: { path: '(yaml)', message: /Merge sources must be maps/ },
  },

  // --- limits against hostile or runaway files --------------------------------------------------
  {
    family: 'limits',
    name: 'an alias bomb (billion laughs)',
    text: whole(aliasBomb()),
    error: { path: '(yaml)', message: /alias/ },
  },
  {
    family: 'limits',
    name: '101 aliases',
    text: (b) => ({
      ...appended(`x: &x 1\n${Array.from({ length: 101 }, (_, i) => `y${i}: *x`).join('\n')}\n`)(b),
      line: appended('')(b).line + 101,
    }),
    error: { path: '(yaml)', message: /more than 100 aliases \(\*name\): refused as a possible alias bomb/ },
  },
  {
    family: 'limits',
    name: 'flow nesting 100,000 deep',
    text: edit(VERSION, `version: ${'['.repeat(100_000)}${']'.repeat(100_000)}`),
    error: { path: '(yaml)', message: /nesting deeper than 64 levels/ },
  },
  {
    family: 'limits',
    name: 'block nesting 80 deep',
    text: (b) => ({
      text: `${b}deep:\n${Array.from({ length: 80 }, (_, i) => `${' '.repeat(i + 1)}k:`).join('\n')}\n`,
    }),
    error: { path: '(yaml)', message: /nesting deeper than 64 levels/ },
  },
  {
    family: 'limits',
    name: 'a file of 1 MB + 1 byte',
    text: (b) => ({ text: `${b}#${'x'.repeat(1024 * 1024 - Buffer.byteLength(b) - 1)}\n`, line: 1 }),
    error: { path: '(file)', message: /the policy file is 1048577 bytes, more than the limit of 1048576/ },
  },
  {
    family: 'limits',
    name: 'a file of 10 MB',
    text: (b) => ({ text: `${b}# ${'x'.repeat(10 * 1024 * 1024)}\n`, line: 1 }),
    error: { path: '(file)', message: /more than the limit of 1048576/ },
  },
  {
    family: 'limits',
    name: '12,000 wrong agents under 1 MB (errors capped, no stall)',
    text: (b) => ({ text: b.replace(AGENTS, `${AGENTS}${manyAgents(12_000, 'bob')}`) }),
    error: { path: '(policy)', message: /…and \d+ more errors/ },
  },
  {
    family: 'limits',
    name: '40,000 unknown keys under 1 MB',
    text: (b) => ({
      text: b.replace(
        AGENTS,
        `zzz:\n${Array.from({ length: 40_000 }, (_, i) => `  x${i}: 1\n`).join('')}${AGENTS}`,
      ),
    }),
    error: { path: 'zzz', message: /unknown key/ },
  },

  // --- wrong types and values -------------------------------------------------------------------
  {
    family: 'types',
    name: 'a cap of 9',
    text: editAt(OPS_CAP, '  ops:\n    cap: 9\n', 1),
    error: { path: 'taskClasses.ops.cap', message: /expected a rung, a whole number from 0 to 5, got 9/ },
  },
  {
    family: 'types',
    name: 'a cap in words',
    text: editAt(OPS_CAP, '  ops:\n    cap: three\n', 1),
    error: { path: 'taskClasses.ops.cap', message: /got "three"/ },
  },
  {
    family: 'types',
    name: 'a fractional cap',
    text: editAt(OPS_CAP, '  ops:\n    cap: 2.5\n', 1),
    error: { path: 'taskClasses.ops.cap', message: /got 2\.5/ },
  },
  {
    family: 'types',
    name: 'a negative cap',
    text: editAt(OPS_CAP, '  ops:\n    cap: -1\n', 1),
    error: { path: 'taskClasses.ops.cap', message: /got -1/ },
  },
  {
    family: 'types',
    name: 'a cap of 1e23',
    text: editAt(OPS_CAP, '  ops:\n    cap: 99999999999999999999999\n', 1),
    error: { path: 'taskClasses.ops.cap', message: /got 1e\+23/ },
  },
  {
    family: 'types',
    name: 'twoPersonRule as a string',
    text: edit(
      'twoPersonRule: true\n    bounds:\n      actions: [config.set, file.write, shell.exec, http.request]',
      "twoPersonRule: 'yes'\n    bounds:\n      actions: [config.set, file.write, shell.exec, http.request]",
    ),
    error: { path: 'taskClasses.ops.twoPersonRule', message: /expected true or false, got "yes"/ },
  },
  {
    family: 'types',
    name: 'a negative daily count',
    text: edit(
      'perDay: { count: 1000, costUsd: 1000 }\n      hosts',
      'perDay: { count: -5, costUsd: 1000 }\n      hosts',
    ),
    error: { path: 'taskClasses.ops.bounds.perDay.count', message: /got -5/ },
  },
  {
    family: 'types',
    name: 'a negative step price',
    text: edit(
      'perDay: { count: 1000, costUsd: 1000 }\n      hosts',
      'stepCostUsd: { config.set: -1 }\n      perDay: { count: 1000, costUsd: 1000 }\n      hosts',
    ),
    error: { path: 'taskClasses.ops.bounds.stepCostUsd.config.set', message: /expected a number ≥ 0/ },
  },
  {
    family: 'types',
    name: 'a bounded request with a query',
    text: edit(OPS_HOSTS, "requests: ['POST http://127.0.0.1:4199/deploys?force=1']\n      " + OPS_HOSTS),
    error: {
      path: 'taskClasses.ops.bounds.requests[0]',
      message:
        /expected a request such as "POST https:\/\/deploy.internal\/deploys" \(method optional; no query\)/,
    },
  },
  {
    family: 'types',
    name: 'a duration in words',
    text: edit(
      OPS_APPROVAL,
      'approval: { remindAfter: 10 minutes, expireAfter: 1h }\n    rollback: { healthWindow: 1s',
    ),
    error: {
      path: 'taskClasses.ops.approval.remindAfter',
      message: /expected a duration such as 90s, 30m, 4h or 14d, got "10 minutes"/,
    },
  },
  {
    family: 'types',
    name: 'a negative duration',
    text: edit(
      OPS_APPROVAL,
      'approval: { remindAfter: -5m, expireAfter: 1h }\n    rollback: { healthWindow: 1s',
    ),
    error: { path: 'taskClasses.ops.approval.remindAfter', message: /got "-5m"/ },
  },
  {
    family: 'types',
    name: 'admins as one string',
    text: edit(ADMINS, 'admins: U0ADMIN01'),
    error: { path: 'admins', message: /expected a list/ },
  },
  {
    family: 'types',
    name: 'an admin by name',
    text: edit(ADMINS, 'admins: [bob]'),
    error: { path: 'admins[0]', message: /expected a Slack user id/ },
  },
  {
    family: 'types',
    name: 'an owner as a number',
    text: editAt('  a2:\n    owner: U0OWNER01', '  a2:\n    owner: 12345', 1),
    error: { path: 'agents.a2.owner', message: /expected a Slack user id|expected a string/ },
  },
  {
    family: 'types',
    name: 'an earned rung of 6',
    text: edit(A2_RUNGS, 'rungs: { ops: 6, fast: 2, db: 2'),
    error: { path: 'agents.a2.rungs.ops', message: /got 6/ },
  },
  {
    family: 'types',
    name: 'zero requests per minute',
    text: appended('agentApi: { requestsPerMinute: 0 }\n'),
    error: { path: 'agentApi.requestsPerMinute', message: /expected a whole number ≥ 1/ },
  },
  {
    family: 'types',
    name: 'no task may wait for people',
    text: appended('agentApi: { maxWaiting: 0 }\n'),
    error: { path: 'agentApi.maxWaiting', message: /expected a whole number ≥ 1/ },
  },
  {
    family: 'references',
    name: 'a URL owned by two environments',
    // The clash is reported at the second owner, two lines below the section's start.
    text: (base: string) => {
      const tail =
        "environmentTargets:\n  staging: { urls: ['https://deploy.example.com/'] }\n  production: { urls: ['https://DEPLOY.example.com:443'] }\n";
      return { text: `${base}${tail}`, line: appended(tail)(base).line + 2 };
    },
    error: { path: 'environmentTargets.production.urls[0]', message: /already owned by staging/ },
  },
  {
    family: 'types',
    name: 'a misspelt top-level key',
    text: appended('admin: [U0ADMIN01]\n'),
    error: { path: 'admin', message: /unknown key \(a typo here would silently disable a setting\)/ },
  },
  {
    family: 'types',
    name: 'a misspelt key in a class',
    text: editAt(OPS_CAP, '  ops:\n    cap: 5\n    bound: {}\n', 2),
    error: { path: 'taskClasses.ops.bound', message: /unknown key/ },
  },
  {
    family: 'types',
    name: 'no version',
    text: edit(`${VERSION}\n`, ''),
    error: { path: 'version', message: /expected a version string|required/ },
  },
  {
    family: 'types',
    name: 'task classes as a list',
    text: (b) => ({
      text: b.replace(/\ntaskClasses:\n[\s\S]*?\nagents:\n/, '\ntaskClasses: [ops, fast]\nagents:\n'),
    }),
    error: { path: 'taskClasses', message: /expected a mapping/ },
  },
  {
    family: 'types',
    name: 'a host bound written as a URL',
    text: edit(OPS_HOSTS, "hosts: ['http://127.0.0.1:4199']"),
    error: {
      path: 'taskClasses.ops.bounds.hosts[0]',
      message: /expected a host name, optionally with :port, got "http:\/\/127\.0\.0\.1:4199"/,
    },
  },
  {
    family: 'types',
    name: 'a host bound with a user name',
    text: edit(OPS_HOSTS, "hosts: ['admin@127.0.0.1:4199']"),
    error: { path: 'taskClasses.ops.bounds.hosts[0]', message: /expected a host name/ },
  },
  {
    family: 'types',
    name: 'a host bound as an IPv6 literal',
    text: edit(OPS_HOSTS, "hosts: ['[::1]:4199']"),
    error: { path: 'taskClasses.ops.bounds.hosts[0]', message: /expected a host name/ },
  },
  {
    family: 'types',
    name: 'a host bound in capitals',
    text: edit(OPS_HOSTS, "hosts: ['LOCALHOST:4199']"),
    error: { path: 'taskClasses.ops.bounds.hosts[0]', message: /expected a host name/ },
  },
  {
    family: 'types',
    name: 'an environment in capitals',
    text: edit('environments: [dev, staging, production]', 'environments: [dev, Staging, production]'),
    error: { path: 'environments[1]', message: /expected a lowercase name/ },
  },
  {
    family: 'types',
    name: 'a channel without #',
    text: edit("channel: '#ops'", "channel: 'ops'"),
    error: { path: 'taskClasses.ops.channel', message: /expected a channel such as #ops/ },
  },

  // --- references to what the policy does not declare ---------------------------------------------
  {
    family: 'references',
    name: 'an undeclared group',
    text: edit(OPS_APPROVERS, 'approvers: { groups: [nobody] }'),
    error: {
      path: 'taskClasses.ops.approvers.groups[0]',
      message: /unknown group "nobody" \(declare it under groups\)/,
    },
  },
  {
    family: 'references',
    name: 'a misspelt bound action',
    text: editAt(
      '    bounds:\n      actions: [config.set, file.write, shell.exec, http.request]',
      '    bounds:\n      actions: [config.set, file.write, shell.exce, http.request]',
      1,
    ),
    error: { path: 'taskClasses.ops.bounds.actions[2]', message: /did you mean "shell\.exec"\?/ },
  },
  {
    family: 'references',
    name: 'a misspelt class action (its bound names the right one)',
    text: editAt(
      "    actions: [shell.exec]\n    channel: '#quota'",
      "    actions: [shell.exce]\n    channel: '#quota'",
      4,
    ),
    error: {
      path: 'taskClasses.quota.bounds.actions[0]',
      message: /"shell\.exec" is not one of this class's actions \(shell\.exce\)/,
    },
  },
  {
    family: 'references',
    name: 'a rung for a misspelt class',
    text: edit(A2_RUNGS, 'rungs: { opz: 2, fast: 2, db: 2'),
    error: { path: 'agents.a2.rungs.opz', message: /unknown task class "opz".*did you mean "ops"\?/ },
  },
  {
    family: 'references',
    name: 'a rung for class hasOwnProperty',
    text: edit(A2_RUNGS, 'rungs: { ops: 2, hasOwnProperty: 2'),
    error: { path: 'agents.a2.rungs.hasOwnProperty', message: /unknown task class "hasOwnProperty"/ },
  },
  {
    family: 'references',
    name: 'a bound environment prod for production',
    text: edit(
      'environments: [staging]\n      perDay: { count: 1000, costUsd: 1000 }\n      hosts',
      'environments: [prod]\n      perDay: { count: 1000, costUsd: 1000 }\n      hosts',
    ),
    error: {
      path: 'taskClasses.ops.bounds.environments[0]',
      message: /unknown environment "prod".*did you mean "production"\?/,
    },
  },
  {
    family: 'references',
    name: 'a kill switch naming an undeclared agent',
    text: appended('killSwitch: { engaged: false, cap: 0, agents: [a9] }\n'),
    error: { path: 'killSwitch.agents[0]', message: /unknown agent "a9"/ },
  },

  // --- timers in an order that cannot work --------------------------------------------------------
  {
    family: 'timers',
    name: 'a reminder after the expiry',
    text: edit(
      OPS_APPROVAL,
      'approval: { remindAfter: 2h, expireAfter: 1h }\n    rollback: { healthWindow: 1s',
    ),
    error: {
      path: 'taskClasses.ops.approval.remindAfter',
      message: /expected remindAfter \(2h\) to be shorter than expireAfter \(1h\)/,
    },
  },
  {
    family: 'timers',
    name: 'a health interval longer than its window',
    text: edit(
      FAST_ROLLBACK,
      'rollback: { healthWindow: 500ms, healthInterval: 5s }\n    report: { mode: each, readSla: 2s',
    ),
    error: {
      path: 'taskClasses.fast.rollback.healthInterval',
      message: /expected healthInterval \(5s\) to be at most healthWindow \(500ms\)/,
    },
  },

  // --- prototype names as keys --------------------------------------------------------------------
  {
    family: 'prototype-keys',
    name: 'a task class named __proto__',
    text: editAt('taskClasses:\n', 'taskClasses:\n  __proto__:\n    cap: 5\n', 1),
    error: { path: '(yaml)', message: /a key named "__proto__" is refused/ },
  },
  {
    family: 'prototype-keys',
    name: 'an agent named __proto__',
    text: editAt(
      AGENTS,
      `${AGENTS}  __proto__: { owner: U0OWNER01, model: m, promptVersion: p, rungs: { ops: 5 } }\n`,
      1,
    ),
    error: { path: '(yaml)', message: /a key named "__proto__" is refused/ },
  },
  {
    family: 'prototype-keys',
    name: 'a group named __proto__',
    text: editAt('groups:\n', 'groups:\n  __proto__: [U0APPR001]\n', 1),
    error: { path: '(yaml)', message: /a key named "__proto__" is refused/ },
  },
  {
    family: 'prototype-keys',
    name: 'a rung for class __proto__',
    text: edit(A2_RUNGS, 'rungs: { ops: 2, __proto__: 5'),
    error: { path: '(yaml)', message: /a key named "__proto__" is refused/ },
  },
  {
    family: 'prototype-keys',
    name: 'an approver group named toString',
    text: edit(OPS_APPROVERS, 'approvers: { groups: [toString] }'),
    error: {
      path: 'taskClasses.ops.approvers.groups[0]',
      message: /unknown group "toString"|expected a lowercase name/,
    },
  },
];

/** Where a case's text is written for the store and the CLI (a file per case). */
export function caseFileName(c: PolicyCase): string {
  return `${c.family}-${c.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.yaml`;
}
