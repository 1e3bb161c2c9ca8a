import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ChaosReport } from '../../scripts/chaos/report';
import { COUNT_ROWS } from '../../scripts/chaos/report';
import { TEST_ENV } from '../setup/shared-state';

// The short chaos run CI does: the built `npm run chaos` entry with its own stack, 30 tasks, two
// worker kills timed inside a shell effect and inside an undo, one dev-server kill, and Slack
// faults; every count must be 0 and the kills must really have happened.
const CHAOS = resolve(__dirname, '..', '..', 'dist', 'scripts', 'chaos.js');

function runChaos(args: string[], timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CHAOS, ...args], {
      env: { ...process.env, TEMPORAL_CLI: process.env[TEST_ENV.cliPath] },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    // SIGINT would leave the stack to the run's own clean-up; past the budget, stop it hard.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code: code ?? -1, output });
    });
  });
}

describe('npm run chaos (short)', () => {
  beforeAll(() => {
    if (!existsSync(CHAOS))
      throw new Error(`${CHAOS} is missing: run \`npm run build\` first (npm test does)`);
  });

  it('loses, sticks and duplicates nothing through worker and dev-server kills and Slack faults', async () => {
    const reportDir = mkdtempSync(join(tmpdir(), 'ladder-chaos-test-'));
    const report = join(reportDir, 'report.json');
    const { code, output } = await runChaos(
      [
        ...['--tasks', '30', '--seed', '1', '--worker-kills', '2', '--server-kills', '1'],
        ...['--slack-faults', 'rate-limited=6,server-error=6,slow=1,slow-answer=1', '--settle', '170'],
        ...['--bundle', process.env[TEST_ENV.bundlePath]!, '--json', report],
      ],
      270_000,
    );
    if (!existsSync(report)) throw new Error(`the chaos run wrote no report (exit ${code}):\n${output}`);
    const r = JSON.parse(readFileSync(report, 'utf8')) as ChaosReport;
    rmSync(reportDir, { recursive: true, force: true });
    // Every count of the table at 0, by name, so a failure shows which one and its details.
    expect({ counts: r.counts, details: r.details }).toEqual({
      counts: Object.fromEntries(COUNT_ROWS.map(([k]) => [k, 0])),
      details: {},
    });
    expect(code).toBe(0);
    // The kills happened, the timed ones inside the effect and the undo they aimed at.
    expect(r.killsByWhat).toEqual({ worker: 2, devServer: 1, timedInside: 2 });
    expect(r.kills.filter((k) => k.trap).map((k) => k.trap)).toEqual(['shell-effect', 'compensation']);
    // What ran: all 30 tasks finished, answers came from Slack and the CLI, Slack faults were served.
    expect(Object.values(r.outcomes).reduce((a, b) => a + b, 0)).toBe(30);
    expect(r.outcomes).toMatchObject({ executed: expect.any(Number), 'rolled-back': expect.any(Number) });
    expect(r.answers.slack).toBeGreaterThan(0);
    expect(r.answers.cli).toBeGreaterThan(0);
    expect(r.slackFaultsServed?.total).toBeGreaterThan(0);
    expect(output).toContain('Every count is 0.');
  }, 300_000);
});
