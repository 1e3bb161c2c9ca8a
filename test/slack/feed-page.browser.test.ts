import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { EmulatedMessage } from '../../slack/emulator/workspace';
import { startSlackRig, type SlackRig } from '../helpers/slack';
import { appendStep, submit, taskRequest, workflowTestPolicy } from '../helpers/tasks';
import { waitUntil } from '../helpers/wait';

const CHROMIUM = process.env.LADDER_CHROMIUM ?? '/usr/bin/chromium';

// The channel feed as a person sees it in the local Slack: a digest whose lines each keep their
// own button, and a pending-requests list whose buttons answer the request they sit under, not
// the first one in the message (every request's Approve shares one action id).
describe('the channel feed on the emulator page', () => {
  let rig: SlackRig;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium`);
    rig = await startSlackRig('feed-page', workflowTestPolicy());
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 1600 } });
    page.setDefaultTimeout(120_000);
    await page.goto(rig.emulator.pageUrl);
    await page.selectOption('#acting-user', 'U0APPR002');
    await page.click('#channels a[data-channel="#ops"]');
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await rig?.stop();
  });

  const ops = (): EmulatedMessage[] => rig.emulator.messages('#ops');
  const buttonsOf = (m: EmulatedMessage): { action_id: string; value: string }[] =>
    (m.blocks as { elements?: { action_id: string; value: string }[] }[]).flatMap((b) => b.elements ?? []);

  it('shows each digest line with its own Report a defect button', async () => {
    rig.emulator.setRateLimits({ enabled: true, postMessage: { perChannel: { perMinute: 30, burst: 1 } } });
    const submissions = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        submit(rig.stack, taskRequest('a3', 'ops', [appendStep(`page-${i}`)])),
      ),
    );
    await Promise.all(submissions.map((s) => s.handle.result()));
    const digest = page.locator('.message', { hasText: 'ran on their own authority' }).first();
    await digest.waitFor();
    const lines = await digest.locator('.section').count();
    expect(lines).toBeGreaterThan(0);
    // One button per line, each on its own task.
    expect(await digest.locator('button[data-action-id="ladder_report_defect"]').count()).toBe(lines);
    const values = await digest
      .locator('button[data-action-id="ladder_report_defect"]')
      .evaluateAll((bs) => bs.map((b) => b.getAttribute('data-value')));
    expect(new Set(values).size).toBe(lines);
    await page.screenshot({ path: join(rig.stack.dirs.stateDir, 'feed-digest.png'), fullPage: true });
  }, 180_000);

  it('answers the request whose Approve was clicked in the pending list', async () => {
    // One post every 6 s: requests wait long enough to be listed together.
    rig.emulator.setRateLimits({ enabled: true, postMessage: { perChannel: { perMinute: 10, burst: 1 } } });
    const submissions = await Promise.all(
      ['first', 'second', 'third', 'fourth'].map((name) =>
        submit(rig.stack, {
          ...taskRequest('a2', 'ops', [appendStep(`held-${name}`)]),
          title: `Held ${name}`,
        }),
      ),
    );
    // A pending list showing at least two requests, each with its own Approve.
    let listed: EmulatedMessage | undefined;
    await waitUntil(() => {
      listed = ops().find(
        (m) =>
          /wait for their own message/.test(m.text) &&
          buttonsOf(m).filter((b) => b.action_id === 'ladder_approve').length >= 2,
      );
      return listed !== undefined;
    }, 150_000);
    const approves = buttonsOf(listed!).filter((b) => b.action_id === 'ladder_approve');
    const target = submissions.find((s) => approves[1].value.startsWith(`${s.workflowId}#`))!;
    const other = submissions.find((s) => approves[0].value.startsWith(`${s.workflowId}#`))!;
    // Click the second Approve as the page renders it (found by the value it carries).
    await page
      .locator(
        `.message[data-ts="${listed!.ts}"] button[data-action-id="ladder_approve"][data-value="${approves[1].value}"]`,
      )
      .click();
    // The limit was there to get the requests listed together; with the click made, it would only
    // hold back the posts the answered task waits on (one every 6 s) before it can finish.
    rig.emulator.setRateLimits({ enabled: false });
    expect(await target.handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR002' });
    // The first request listed was not answered by that click.
    const first = await other.handle.describe();
    expect(first.status.name).toBe('RUNNING');
    await page.screenshot({ path: join(rig.stack.dirs.stateDir, 'feed-pending.png'), fullPage: true });
    await Promise.all(submissions.filter((s) => s !== target).map((s) => s.handle.cancel()));
  }, 240_000);
});
