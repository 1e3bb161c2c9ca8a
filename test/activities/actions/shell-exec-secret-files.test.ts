import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActionRegistry } from '../../../activities/actions/registry';
import { sandboxArgs, type SandboxSpec } from '../../../activities/actions/sandbox';
import { hiddenFiles, shellExec } from '../../../activities/actions/shell-exec';
import { createTaskActivities } from '../../../activities/task-activities';
import { parsePolicy } from '../../../policy/loader';
import type { LoadedPolicy } from '../../../policy/loader';
import { examplePolicyText } from '../../helpers/example-policy';
import { actionContext } from './helpers';

// The files that hold secrets can lie anywhere the worker's configuration says: a policy's
// credential file, Temporal's TLS key, the policy file itself. A command must not read them, and
// must not get their bytes into a failed step's error (which the agent reads over its API).

const params = (command: string) => shellExec.params.parse({ command });

/** A real folder outside /tmp (which the sandbox replaces anyway), so only the sandbox's rules hide it. */
function hostDir(prefix: string): string {
  for (const parent of ['/var/tmp', tmpdir()]) {
    try {
      return realpathSync(mkdtempSync(join(parent, prefix)));
    } catch {
      // try the next one
    }
  }
  throw new Error('no writable temp folder');
}

/** Runs `body` with the given environment variables set (undefined: unset), then restores them. */
async function withEnv<T>(vars: Record<string, string | undefined>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const put = (all: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(all)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  put(vars);
  try {
    return await body();
  } finally {
    put(saved);
  }
}

const TLS_AND_POLICY = [
  'TEMPORAL_TLS_KEY_PATH',
  'TEMPORAL_TLS_CERT_PATH',
  'TEMPORAL_TLS_CA_PATH',
  'LADDER_POLICY_PATH',
  'LADDER_OPERATOR_KEY',
] as const;

describe('sandboxArgs with files to hide', () => {
  const limits = { cpuSeconds: 61, fileSizeBytes: 1024, processes: 64, addressSpaceBytes: 2 ** 32 };
  const spec = (hideFiles: string[]): SandboxSpec => ({
    sandboxDir: '/srv/ladder/.temporal/sandbox',
    cwd: '/srv/ladder/.temporal/sandbox',
    hide: ['/srv/ladder', '/srv/keys'],
    hideFiles,
    env: { PATH: '/usr/bin:/bin' },
    limits,
    prlimit: '/usr/bin/prlimit',
  });
  const blanked = (args: string[]): string[] =>
    args.flatMap((a, i) => (a === '--ro-bind' && args[i + 1] === '/dev/null' ? [args[i + 2]] : []));

  it('covers each file outside the hidden folders with /dev/null, after the sandbox bind', () => {
    const args = sandboxArgs(
      spec([
        '/var/tmp/x/client.key',
        '/etc/ladder/policy.yaml',
        '/var/tmp/x/client.key', // twice: covered once
        '/srv/keys/op.key.json', // inside a hidden folder already
        '/srv/ladder/README.md', // the same
        '/srv/ladder/.temporal/sandbox/leaked.key', // inside the sandbox, which the bind brings back
        'relative.key', // not absolute: ignored
      ]),
      'true',
    );
    expect(blanked(args)).toEqual([
      '/etc/ladder/policy.yaml',
      '/srv/ladder/.temporal/sandbox/leaked.key',
      '/var/tmp/x/client.key',
    ]);
    const bind = args.indexOf('--bind');
    const first = args.findIndex((a, i) => a === '--ro-bind' && args[i + 1] === '/dev/null');
    expect(first).toBeGreaterThan(bind);
    expect(args.indexOf('--chdir')).toBeGreaterThan(first);
  });

  it('adds nothing without files to hide', () => {
    const { hideFiles: _, ...without } = spec([]);
    expect(blanked(sandboxArgs(without, 'true'))).toEqual([]);
  });
});

describe('hiddenFiles', () => {
  let dir: string;
  beforeEach(() => {
    dir = hostDir('ladder-secret-paths-');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('names the credential files, TLS files, policy and operator key by their real paths', () => {
    const names = ['cred.token', 'tls.key', 'tls.crt', 'ca.pem', 'policy.yaml', 'op.key.json', 'target.key'];
    for (const n of names) writeFileSync(join(dir, n), n);
    symlinkSync(join(dir, 'target.key'), join(dir, 'link.key'));
    mkdirSync(join(dir, 'a-folder'));
    const ctx = actionContext('task/agent/t1#0', {
      secretFiles: [
        join(dir, 'cred.token'),
        join(dir, 'link.key'),
        join(dir, 'missing.key'),
        join(dir, 'a-folder'),
      ],
    });
    const files = hiddenFiles(ctx, {
      TEMPORAL_TLS_KEY_PATH: join(dir, 'tls.key'),
      TEMPORAL_TLS_CERT_PATH: join(dir, 'tls.crt'),
      TEMPORAL_TLS_CA_PATH: join(dir, 'ca.pem'),
      LADDER_POLICY_PATH: join(dir, 'policy.yaml'),
      LADDER_OPERATOR_KEY: join(dir, 'op.key.json'),
      LADDER_FRONTEND_KEY: '', // empty is unset, as loadConfig reads it: its default is looked for
      LADDER_KEYS_DIR: join(dir, 'no-keys'),
    });
    expect(files.sort()).toEqual(
      ['cred.token', 'target.key', 'tls.key', 'tls.crt', 'ca.pem', 'policy.yaml', 'op.key.json']
        .map((n) => join(dir, n))
        .sort(),
    );
  });
});

describe('the bubblewrap sandbox of shell.exec and files holding secrets', () => {
  let dir: string;
  beforeEach(() => {
    dir = hostDir('ladder-secrets-');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("cannot read a credential's secret file, a symlink's target, the TLS key or the policy", async () => {
    const secrets = {
      cred: ['client.key', 'CREDENTIAL-SECRET-4d1c'],
      target: ['rotated/v2.key', 'SYMLINKED-SECRET-77aa'],
      tls: ['tls/client.key', 'TLS-PRIVATE-KEY-91ef'],
      policy: ['policy.yaml', 'POLICY-BODY-0c3b'],
    } as const;
    mkdirSync(join(dir, 'rotated'));
    mkdirSync(join(dir, 'tls'));
    for (const [file, content] of Object.values(secrets)) writeFileSync(join(dir, file), content);
    symlinkSync(join(dir, secrets.target[0]), join(dir, 'current.key'));
    writeFileSync(join(dir, 'public.txt'), 'PUBLIC-NEIGHBOUR');
    await withEnv(
      {
        ...Object.fromEntries(TLS_AND_POLICY.map((k) => [k, undefined])),
        TEMPORAL_TLS_KEY_PATH: join(dir, secrets.tls[0]),
        LADDER_POLICY_PATH: join(dir, secrets.policy[0]),
      },
      async () => {
        // The policy names the symlink, not its target: the target is what must be covered.
        const ctx = actionContext('task/agent/t1#0', {
          secretFiles: [join(dir, secrets.cred[0]), join(dir, 'current.key')],
        });
        const readAll = [
          `cat '${join(dir, 'public.txt')}'`,
          ...[secrets.cred[0], 'current.key', secrets.target[0], secrets.tls[0], secrets.policy[0]].map(
            (f) => `cat '${join(dir, f)}'`,
          ),
        ].join('; ');
        // A failed step's error carries the end of its output: what the agent would read.
        const failed = await shellExec.execute(params(`${readAll}; exit 3`), ctx).then(
          () => new Error('the command did not fail'),
          (err: Error) => err,
        );
        expect(failed.message).toMatch(/exited with 3/);
        expect(failed.message).toContain('PUBLIC-NEIGHBOUR'); // the folder itself is not hidden
        for (const [, content] of Object.values(secrets)) expect(failed.message).not.toContain(content);
        // A successful one keeps its output in the undo record, which reaches history too.
        const ok = await shellExec.execute(
          params(`${readAll} > seen.txt 2>&1; cat seen.txt`),
          actionContext('task/agent/t2#0', { secretFiles: ctx.secretFiles }),
        );
        expect(ok.output).toContain('PUBLIC-NEIGHBOUR');
        for (const [, content] of Object.values(secrets)) expect(ok.output).not.toContain(content);
        // Covered, not removed: the real files are untouched.
        expect(readFileSync(join(dir, secrets.cred[0]), 'utf8')).toBe(secrets.cred[1]);
      },
    );
  });

  it('cannot overwrite a secret file through its cover', async () => {
    writeFileSync(join(dir, 'client.key'), 'ORIGINAL');
    const ctx = actionContext('task/agent/t1#0', { secretFiles: [join(dir, 'client.key')] });
    await shellExec.execute(params(`(echo planted > '${join(dir, 'client.key')}') 2> denied.txt; true`), ctx);
    expect(readFileSync(join(dir, 'client.key'), 'utf8')).toBe('ORIGINAL');
    expect(readFileSync(join(ctx.sandboxDir, 'denied.txt'), 'utf8')).toMatch(
      /Read-only file system|Permission denied/,
    );
  });

  it('still runs when a named secret file, TLS file or policy does not exist', async () => {
    const missing = (name: string): string => join(dir, 'gone', name);
    await withEnv(
      {
        ...Object.fromEntries(TLS_AND_POLICY.map((k) => [k, missing(k)])),
      },
      async () => {
        const ctx = actionContext('task/agent/t1#0', {
          secretFiles: [missing('client.key'), join(dir, 'dangling.key')],
        });
        symlinkSync(missing('nowhere'), join(dir, 'dangling.key'));
        const undo = await shellExec.execute(params('echo ran'), ctx);
        expect(undo).toMatchObject({ exitCode: 0, output: 'ran\n' });
      },
    );
  });
});

describe('a shell.exec step run by the task activities', () => {
  let dir: string;
  beforeEach(() => {
    dir = hostDir('ladder-secret-step-');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('hides the secret files of the policy in force when the step runs, after a reload', async () => {
    const parsed = parsePolicy(examplePolicyText());
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const naming = (file: string): LoadedPolicy => ({
      ...parsed.policy,
      credentials: [{ id: 'billing', hosts: ['billing.example'], header: 'Authorization', secret: { file } }],
    });
    writeFileSync(join(dir, 'old.token'), 'OLD-TOKEN-5e1f');
    writeFileSync(join(dir, 'new.token'), 'NEW-TOKEN-a9d2');
    let inForce = naming(join(dir, 'old.token'));
    const sandboxDir = join(dir, 'sandbox');
    mkdirSync(sandboxDir);
    const activities = createTaskActivities({
      policy: () => inForce,
      registry: createActionRegistry([shellExec]),
      client: {} as Client, // a step without `autonomousTask` reads nothing from Temporal
      taskQueue: 'secret-files-test',
      workspaceRoot: join(dir, 'workspace'),
      sandboxDir,
      stateDir: join(dir, 'state'),
      outcomes: { record: async () => undefined } as never,
    });
    const run = (index: number) =>
      // The failures are expected: a quiet logger keeps them out of the test's output.
      new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR', () => undefined) })
        .run(activities.executeStep, {
          workflowId: 'task/ops-agent/secret-files',
          index,
          step: { action: 'shell.exec', params: { command: `cat '${dir}'/*.token; exit 3` } },
          allowedHosts: null,
        })
        .then(
          () => '(it did not fail)',
          (err: Error) => err.message,
        );
    const before = await run(0);
    expect(before).toMatch(/exited with 3/);
    expect(before).not.toContain('OLD-TOKEN-5e1f');
    expect(before).toContain('NEW-TOKEN-a9d2'); // not a secret of the policy in force yet
    inForce = naming(join(dir, 'new.token')); // the worker reloaded the policy
    const after = await run(1);
    expect(after).toMatch(/exited with 3/);
    expect(after).not.toContain('NEW-TOKEN-a9d2');
  });
});
