import { runCli } from '../../cli/main';
import { createSignIns } from '../../dashboard/sign-in';
import { loadPolicyFile } from '../../policy/loader';
import { EXAMPLE_POLICY } from '../helpers/example-policy';

/** Runs `ladder …` in-process and returns its exit code and output. */
async function ladder(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('ladder dashboard', () => {
  it('prints a one-time sign-in link the dashboard accepts', async () => {
    const run = await ladder('dashboard', 'login', '--as', 'U0ADMIN01', '--ttl-minutes', '5');
    expect(run.code).toBe(0);
    const match = /^http:\/\/127\.0\.0\.1:8090\/login\?token=([A-Za-z0-9_-]+)$/.exec(run.out);
    expect(match).not.toBeNull();
    expect(run.err).toMatch(/valid 5 min/);
    const trust = loadPolicyFile(EXAMPLE_POLICY).policy.answerTrust;
    expect(createSignIns(60_000).exchange(match![1], trust, Date.now()).person).toBe('U0ADMIN01');
  });

  it('uses the public URL people open', async () => {
    const run = await ladder(
      'dashboard',
      'login',
      '--as',
      'U0ADMIN01',
      '--url',
      'https://ladder.example.com/',
    );
    expect(run.out).toMatch(/^https:\/\/ladder\.example\.com\/login\?token=/);
  });

  it.each([
    [
      ['dashboard', '--port', '70000'],
      /--port \(LADDER_DASHBOARD_PORT: expected a port number from 0 to 65535/,
    ],
    [
      ['dashboard', '--host', 'bad host!'],
      /--host \(LADDER_DASHBOARD_HOST: expected an IP address or host name/,
    ],
    [
      ['dashboard', 'login', '--as', 'U0ADMIN01', '--ttl-minutes', '0'],
      /--ttl-minutes: expected a whole number from 1 to 60, got "0"/,
    ],
    [
      ['dashboard', 'login', '--as', 'U0ADMIN01', '--ttl-minutes', '1.5'],
      /--ttl-minutes: expected a whole number/,
    ],
    [
      ['dashboard', 'login', '--as', 'U0ADMIN01', '--url', 'javascript:alert(1)'],
      /--url \(LADDER_DASHBOARD_PUBLIC_URL: expected an http\(s\) URL/,
    ],
    [['dashboard', 'login', '--as', 'U0NOBODY99'], /no answer key for U0NOBODY99/],
  ])('refuses %j, naming what was wrong', async (args, message) => {
    const run = await ladder(...args);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(message);
    expect(run.out).toBe('');
  });

  it('needs --as to sign a link', async () => {
    const run = await ladder('dashboard', 'login');
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/--as/);
  });
});
