import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { declareIncident, decideProposal } from '../../client/evidence';
import { engageKillSwitch } from '../../client/kill-switch';
import { CONTENT_SECURITY_POLICY, type RunningDashboard } from '../../dashboard/server';
import { startDashboard } from '../../dashboard/start-dashboard';
import { loadPolicyFile } from '../../policy/loader';
import type { LedgerState } from '../../policy/ledger';
import type { delegatedTask } from '../../workflows/delegated-task';
import { approveUpdate, ledgerQuery, ledgerWorkflowId, rejectUpdate } from '../../workflows/messages';
import { answerAs, operatorSignerOf } from '../helpers/answers';
import { startSlackRig, UI_BASE, type SlackRig } from '../helpers/slack';
import { appendStep, submit, taskRequest, waitForStatus } from '../helpers/tasks';
import { waitUntil } from '../helpers/wait';

const CHROMIUM = process.env.LADDER_CHROMIUM ?? '/usr/bin/chromium';
const SCREENS = process.env.LADDER_DASHBOARD_SCREENS ?? '/tmp/ladder-dashboard-screens';
const policy = loadPolicyFile(join(__dirname, 'dashboard-policy.yaml')).policy;
/** Written by an "agent": it must reach the page as text, never as markup. */
const HOSTILE_TITLE = `Deploy <img src=x id=pwned-img onerror="window.__pwned=1"><script>window.__pwned=2</script> & "quotes"`;

type Task = WorkflowHandle<typeof delegatedTask>;

/** An element's text as a person reads it: whitespace collapsed (the markup is formatted across lines). */
const text = async (l: Locator): Promise<string> =>
  ((await l.textContent()) ?? '').replace(/\s+/g, ' ').trim();

// The dashboard on the real stack (dev server, worker, trust ledgers, Slack emulator) after a
// scripted run of mixed tasks, read by Chromium as a person would: the grid, what waits on people,
// the charts with their thresholds and the rung history, and one task's page.
describe('the dashboard in a browser', () => {
  let rig: SlackRig;
  let dashboard: RunningDashboard;
  let browser: Browser;
  let page: Page;
  const handles: Record<string, Task> = {};

  const readLedger = (agent: string): Promise<LedgerState> =>
    rig.stack.client.workflow.getHandle(ledgerWorkflowId(rig.stack.taskQueue, agent)).query(ledgerQuery);
  const ledgerHolds = (agent: string, ok: (s: LedgerState) => boolean): Promise<void> =>
    waitUntil(async () => {
      try {
        return ok(await readLedger(agent));
      } catch {
        return false; // the ledger starts with the first evidence
      }
    }, 90_000);
  const start = async (agent: string, title?: string, word = agent): Promise<Task> =>
    (
      await submit(rig.stack, {
        ...taskRequest(agent, 'ops', [appendStep(`${word}-${randomUUID().slice(0, 6)}`)]),
        ...(title ? { title } : {}),
      })
    ).handle;
  const approveAs = async (h: Task, approver: string): Promise<void> => {
    const s = await waitForStatus(h, (st) => st.waitingOn !== null);
    await answerAs(h, approveUpdate, { approver, stepsHash: s.stepsHash });
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium`);
    mkdirSync(SCREENS, { recursive: true });
    rig = await startSlackRig('dashboard', policy, { ledger: true });

    // climber (rung 2): three approvals over more than the 1 s clean period, then one rejection:
    // 3 of 4 clean approvals, 1 of 4 interventions, and a proposal for rung 3.
    const first = await Promise.all([start('climber'), start('climber')]);
    await Promise.all(first.map((h) => approveAs(h, 'U0APPR002')));
    await Promise.all(first.map((h) => h.result()));
    handles.approved = first[0];
    await ledgerHolds('climber', (s) => (s.classes?.ops?.evidence.approved ?? 0) >= 2);
    const startedAt = Date.now();
    await waitUntil(() => Date.now() > startedAt + 1_100);
    const rejected = await start('climber');
    const r = await waitForStatus(rejected, (st) => st.waitingOn !== null);
    expect(r.rung).toBe(2);
    await answerAs(rejected, rejectUpdate, { approver: 'U0APPR001', reason: 'not now' });
    const third = await start('climber');
    await approveAs(third, 'U0APPR001');
    await third.result();
    await ledgerHolds('climber', (s) => s.proposals?.some((p) => p.status === 'open'));

    // steady (rung 3): three autonomous executions, one titled by a hostile agent; then an incident
    // takes it to rung 2 (a rung change with its cause).
    const autonomous = await Promise.all([start('steady', HOSTILE_TITLE), start('steady'), start('steady')]);
    for (const h of autonomous) expect((await h.result()).outcome).toBe('executed');
    handles.hostile = autonomous[0];
    await ledgerHolds('steady', (s) => (s.classes?.ops?.lifetime.executed ?? 0) >= 3);
    await declareIncident(
      rig.stack.client,
      { taskQueue: rig.stack.taskQueue, signer: operatorSignerOf('U0ADMIN01') },
      policy,
      { id: randomUUID(), agentId: 'steady', taskClass: 'ops', by: 'U0ADMIN01', text: 'dropped a table' },
    );
    await ledgerHolds('steady', (s) => s.history?.length === 1);

    // reporter (rung 5): executed and reported; nobody reads it (read SLA 1 h).
    handles.report = await start('reporter');
    await waitForStatus(handles.report, (s) => s.phase === 'awaiting-report-read');
    // waiter (rung 2): a question nobody answers.
    handles.waiting = await start('waiter');
    await waitForStatus(handles.waiting, (s) => s.waitingOn !== null);
    // frozen: an admin caps it at rung 1.
    await engageKillSwitch(
      rig.stack.client,
      { taskQueue: rig.stack.taskQueue, signer: operatorSignerOf('U0ADMIN01') },
      { agentId: 'frozen', cap: 1, by: 'U0ADMIN01', reason: 'investigating <b>bold</b> claims' },
    );

    dashboard = await startDashboard({
      client: rig.stack.client,
      config: {
        temporalUiUrl: UI_BASE,
        namespace: 'default',
        taskQueue: rig.stack.taskQueue,
        policyPath: join(__dirname, 'dashboard-policy.yaml'),
        slack: {
          kind: 'emulator',
          port: 0,
          emulatorPort: Number(new URL(rig.emulator.pageUrl).port),
          apiUrl: rig.emulator.apiUrl,
          botToken: 'xoxb-test',
        },
      },
      env: {
        port: 0,
        host: '127.0.0.1',
        refreshMs: 250,
        publicUrl: null,
        sessionMs: 3_600_000,
        signInRequired: false,
      },
      policy: () => policy,
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
    page.setDefaultTimeout(60_000);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await rig?.stop();
  });

  const cell = (agent: string, taskClass: string) =>
    page.locator(`td.cell[data-agent="${agent}"][data-class="${taskClass}"]`);

  it('shows the grid: earned and effective rungs, the freeze, the class cap and the proposal', async () => {
    const response = await page.goto(dashboard.url);
    expect(response?.headers()['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    await expect(cell('steady', 'ops').getAttribute('data-earned')).resolves.toBe('2');
    await expect(cell('frozen', 'ops').getAttribute('data-earned')).resolves.toBe('3');
    await expect(cell('frozen', 'ops').getAttribute('data-effective')).resolves.toBe('1');
    await expect(cell('frozen', 'ops').getAttribute('title')).resolves.toMatch(/kill switch/);
    await expect(cell('climber', 'deploy').getAttribute('data-effective')).resolves.toBe('2');
    expect(await text(cell('climber', 'ops').locator('.proposal'))).toMatch(/→ 3 proposed/);
    expect(await text(page.locator('tr[data-agent="frozen"] .freeze'))).toMatch(
      /frozen at 1 \(this agent\) by U0ADMIN01/,
    );
    // The reason is text, not markup.
    await expect(page.locator('tr[data-agent="frozen"] .freeze').getAttribute('title')).resolves.toBe(
      'investigating <b>bold</b> claims',
    );
    expect(await text(page.locator('th[data-class="deploy"] .cap'))).toBe('cap 2');
    await page.screenshot({ path: join(SCREENS, 'main-grid.png'), fullPage: true });
  });

  it('lists what waits on people: the question, the unread report, the proposal with every criterion', async () => {
    const question = page.locator(`#questions tr[data-workflow="${handles.waiting.workflowId}"]`);
    // Visibility lists a task a moment after it starts; the page shows the next refresh.
    await waitUntil(async () => {
      await page.goto(dashboard.url);
      return (await question.count()) === 1;
    }, 30_000);
    expect(await text(question.locator('td.expiry'))).toMatch(/in (59|60) min/);
    expect(await text(question)).toMatch(/approvers: U0APPR001, U0APPR002/);
    const report = page.locator(`#reports tr[data-workflow="${handles.report.workflowId}"]`);
    expect(await text(report.locator('td.sla'))).toMatch(/in (59|60) min/);
    expect(await text(report)).toMatch(/owner [^(]*\(in (29|30) min\)/);
    const proposal = page.locator('#proposals li.proposal[data-agent="climber"]');
    expect(await text(proposal)).toMatch(/rung 2 → 3/);
    const ledger = await readLedger('climber');
    const open = ledger.proposals.find((p) => p.status === 'open')!;
    await expect(proposal.locator('ul > li').count()).resolves.toBe(open.criteria.length);
    await expect(proposal.locator('ul > li.ok').count()).resolves.toBe(open.criteria.length);
    await page.locator('#pending').screenshot({ path: join(SCREENS, 'pending.png') });
  });

  it('charts the metrics per day with the next rung threshold, and the rung history with its cause', async () => {
    await page.goto(`${dashboard.url}/agent/climber/ops`);
    const approval = page.locator('figure[data-metric="approvalRate"]');
    expect(await text(approval.locator('.threshold'))).toMatch(/at least 10\.0% for rung 3/);
    expect(await text(approval.locator('table.values td').last())).toBe('75.0%');
    const interventions = page.locator('figure[data-metric="interventionRate"]');
    expect(await text(interventions.locator('table.values td').last())).toBe('25.0%');
    expect(await text(interventions.locator('.threshold'))).toMatch(/at most 90\.0% for rung 3/);
    await expect(page.locator('#plot-approvalRate canvas').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('#plot-turnDuration canvas').count()).resolves.toBeGreaterThan(0);
    await page.screenshot({ path: join(SCREENS, 'climber-ops.png'), fullPage: true });

    await page.goto(`${dashboard.url}/agent/steady/ops`);
    const share = page.locator('figure[data-metric="autonomousShare"] table.values td').last();
    expect(await text(share)).toBe('100.0%');
    await expect(page.locator('#changes tbody tr').count()).resolves.toBe(1);
    expect(await text(page.locator('#changes td.cause'))).toMatch(/incident/);
    expect(await text(page.locator('#rung-now'))).toBe('2');
    await expect(page.locator('#plot-rung canvas').count()).resolves.toBeGreaterThan(0);
    await page.screenshot({ path: join(SCREENS, 'steady-ops.png'), fullPage: true });
  });

  it("shows one task's decision, answers with how they were asked, outcome and links", async () => {
    await page.goto(`${dashboard.url}/task?id=${encodeURIComponent(handles.approved.workflowId)}`);
    expect(await text(page.locator('#effective-rung'))).toBe('2');
    expect(await text(page.locator('#outcome-value'))).toBe('executed');
    const answer = page.locator('tr.answer[data-by="U0APPR002"]');
    expect(await text(answer)).toMatch(/approve/);
    expect(await text(answer)).toMatch(/✓ verified/);
    expect(await text(answer)).toMatch(/approval-request in #ops/);
    await expect(page.locator('#temporal-link').getAttribute('href')).resolves.toBe(
      `${UI_BASE}/namespaces/default/workflows/${encodeURIComponent(handles.approved.workflowId)}`,
    );
    await expect(page.locator('#slack-link').getAttribute('href')).resolves.toBe(rig.emulator.pageUrl);
    await page.screenshot({ path: join(SCREENS, 'task-approved.png'), fullPage: true });
  });

  it('shows what an agent wrote as text: a hostile title runs no script and adds no element', async () => {
    await page.goto(`${dashboard.url}/task?id=${encodeURIComponent(handles.hostile.workflowId)}`);
    expect(await text(page.locator('#task-title'))).toBe(HOSTILE_TITLE);
    await expect(page.locator('#pwned-img').count()).resolves.toBe(0);
    await expect(page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).resolves.toBeUndefined();
    await page.screenshot({ path: join(SCREENS, 'task-hostile.png'), fullPage: true });
  });

  it('approving the proposal moves the grid within a refresh', async () => {
    const open = (await readLedger('climber')).proposals.find((p) => p.status === 'open')!;
    const result = await decideProposal(
      rig.stack.client,
      { taskQueue: rig.stack.taskQueue, signer: operatorSignerOf('U0APPR001') },
      { agentId: 'climber', proposalId: open.id, by: 'U0APPR001', approve: true },
    );
    expect(result.ok).toBe(true);
    await waitUntil(async () => {
      await page.goto(dashboard.url);
      return (await cell('climber', 'ops').getAttribute('data-earned')) === '3';
    }, 30_000);
    await expect(page.locator('#proposals li.proposal').count()).resolves.toBe(0);
  });
});
