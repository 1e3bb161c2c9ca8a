import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSlackRig, type SlackRig } from '../helpers/slack';
import { appendStep, submit, taskRequest, workflowTestPolicy } from '../helpers/tasks';

const CHROMIUM = process.env.LADDER_CHROMIUM ?? '/usr/bin/chromium';
/** Where the screenshots go, to be looked at (under .temporal/, ignored by git). */
const SCREENS = join(__dirname, '..', '..', '.temporal', 'screens', 'task-messages');

// As a person sees them in the emulator: the request, its reminder with buttons, what ran once
// approved, and a rung-5 report with its changes; emoji drawn, not left as :shortcodes:.
describe('task messages in the emulator page (headless Chromium)', () => {
  let rig: SlackRig;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium`);
    mkdirSync(SCREENS, { recursive: true });
    rig = await startSlackRig('messages-browser', workflowTestPolicy());
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
    page.setDefaultTimeout(60_000);
    await page.goto(rig.emulator.pageUrl);
  });
  afterAll(async () => {
    await browser?.close();
    await rig?.stop();
  });

  const openChannel = async (name: string): Promise<void> => {
    await page.click(`#channels a[data-channel="${name}"]`);
  };

  it('shows who may answer and the expiry, then what ran with its result once approved from the page', async () => {
    writeFileSync(join(rig.stack.dirs.workspaceRoot, 'browser.json'), `${JSON.stringify({ rps: 10 })}\n`);
    const { handle } = await submit(
      rig.stack,
      taskRequest('a2', 'ops', [
        appendStep('browser-msg'),
        { action: 'config.set', params: { file: 'browser.json', set: { rps: 25 } } },
      ]),
    );
    await page.selectOption('#acting-user', 'U0APPR002');
    await openChannel('#ops');
    const request = page.locator('.message', { hasText: 'Who may answer' }).last();
    await request.waitFor();
    const text = (await request.innerText()).replace(/\s+/g, ' ');
    expect(text).toContain('Who may answer: @U0APPR002');
    expect(text).toMatch(/Not @U0APPR001: requested this task, and the two-person rule/);
    expect(text).toMatch(/Expires: \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC; then it is rejected/);
    await page.screenshot({ path: join(SCREENS, '1-request.png'), fullPage: true });

    await request.locator('button', { hasText: 'Approve' }).click();
    await handle.result();
    const closed = page.locator('.message', { hasText: 'Executed: 2 of 2 step(s) ran' }).last();
    await closed.waitFor();
    const after = await closed.innerText();
    // Each step with what it did, and emoji drawn as Slack draws them.
    expect(after).toContain('\u2705');
    expect(after).not.toContain(':white_check_mark:');
    expect(after).toMatch(/exit code 0/);
    expect(after).toMatch(/rps`?: 10 → 25/);
    await page.screenshot({ path: join(SCREENS, '2-executed.png'), fullPage: true });
  });

  it('draws a rung-5 report with what changed, its health, read deadline and next escalation', async () => {
    writeFileSync(join(rig.stack.dirs.workspaceRoot, 'report.json'), `${JSON.stringify({ rps: 10 })}\n`);
    await submit(
      rig.stack,
      taskRequest('a5', 'ops', [{ action: 'config.set', params: { file: 'report.json', set: { rps: 30 } } }]),
    );
    await openChannel('#ops-reports');
    const report = page.locator('.message', { hasText: 'Done on my own (rung 5)' }).last();
    await report.waitFor();
    const text = await report.innerText();
    expect(text).toMatch(/rps: 10 → 30/);
    expect(text).toContain('\u{1F7E2} health check passed');
    expect(text).toMatch(/Read by: .* UTC/);
    expect(text).toMatch(/If unread: @U0OWNER01 is pinged at/);
    expect(await report.locator('button', { hasText: 'Mark as read' }).count()).toBe(1);
    await page.screenshot({ path: join(SCREENS, '3-report.png'), fullPage: true });
  });

  it('draws the kill switch reply’s :octagonal_sign: as the emoji', async () => {
    await page.selectOption('#acting-user', 'U0ADMIN01');
    await openChannel('#ops');
    await page.fill('#composer', '/ladder freeze a0 testing the emoji');
    await page.press('#composer', 'Enter');
    const reply = page.locator('.message', { hasText: 'Kill switch engaged' }).last();
    await reply.waitFor();
    const text = await reply.innerText();
    expect(text).toContain('\u{1F6D1}');
    expect(text).not.toContain(':octagonal_sign:');
    await page.screenshot({ path: join(SCREENS, '4-kill-switch.png'), fullPage: true });
  });
});
