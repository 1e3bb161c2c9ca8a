import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { statusQuery } from '../../workflows/messages';
import { openPage, screenshotDir } from '../helpers/browser';
import { startSlackRig, type SlackRig } from '../helpers/slack';
import { appendStep, submit, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';

const OUTPUT = screenshotDir('batch-page');
const APPROVER = 'U0APPR002';

// A person answers several approval requests at once on the emulator's page in headless Chromium:
// `/ladder pending ops`, tick two requests, approve, and read which were accepted. The real Bolt
// app, worker and dev server are behind it.
describe('the batch modal on the emulator page', () => {
  let rig: SlackRig;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    rig = await startSlackRig('batch-page', workflowTestPolicy());
    ({ browser, page } = await openPage(rig.emulator.pageUrl, { width: 1200, height: 1400 }));
  });
  afterAll(async () => {
    await browser?.close();
    await rig?.stop();
  });

  const effects = (): string[] => {
    const path = join(rig.stack.dirs.sandboxDir, 'effects.log');
    return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : [];
  };

  it('opens the modal, shows each request with its steps, approves the ticked ones and tells the outcome', async () => {
    const words = ['page-1', 'page-2', 'page-3'];
    const tasks = [];
    for (const w of words)
      tasks.push(
        await submit(rig.stack, taskRequest('a2', 'ops', [appendStep(w)], { title: `deploy ${w}` })),
      );
    // One the approver asked for: shown, not selectable (two-person rule).
    const mine = await submit(
      rig.stack,
      taskRequest('a2', 'ops', [appendStep('page-mine')], { title: 'deploy page-mine', requester: APPROVER }),
    );
    for (const t of [...tasks, mine]) await waitForStatus(t.handle, (s) => s.phase === 'awaiting-human');

    await page.selectOption('#acting-user', APPROVER);
    await page.click('#channels a[data-channel="#ops"]');
    const modal = page.locator('#modal');
    const checkboxes = modal.locator('input[type=checkbox]');
    // WaitingOn reaches visibility a moment after a task asks: open again until all are listed.
    for (let attempt = 0; ; attempt++) {
      await page.fill('#composer', '/ladder pending ops');
      await page.press('#composer', 'Enter');
      await modal
        .locator('h2', { hasText: 'Answer: ops' })
        .or(modal.locator('h2', { hasText: 'Answer in batch' }))
        .waitFor();
      // The app fills the modal after "Reading…" (or says nothing waits).
      await modal.getByText('Reading the approval requests').waitFor({ state: 'detached' });
      const listed = (await modal.textContent()) ?? '';
      if (words.every((w) => listed.includes(`deploy ${w}`)) && listed.includes('deploy page-mine')) break;
      if (attempt > 50) throw new Error(`the batch modal never listed every request: ${listed}`);
      await page.click('#modal-close');
      await page.locator('#modal-backdrop').waitFor({ state: 'hidden' });
    }
    expect(await checkboxes.count()).toBe(3);
    const text = (await modal.textContent()) ?? '';
    expect(text).toContain('step 1/1: shell.exec {"command":"echo page-1 >> effects.log"');
    expect(text).toContain('two-person rule: you requested it');
    await page.screenshot({ path: join(OUTPUT, '1-batch-modal.png'), fullPage: true });

    // Tick page-1 and page-3, approve.
    for (const w of ['page-1', 'page-3'])
      await modal
        .locator('label.checkbox', { hasText: `deploy ${w}` })
        .locator('input')
        .check();
    await modal.locator('[data-block-id="ladderbatch_decision"] select').selectOption('approve');
    await page.screenshot({ path: join(OUTPUT, '2-selected.png'), fullPage: true });
    await page.click('#modal-submit');

    await modal.locator('h2', { hasText: 'Batch answered' }).waitFor();
    await modal.getByText('2 approved, 0 refused').waitFor();
    await page.screenshot({ path: join(OUTPUT, '3-outcome-modal.png'), fullPage: true });
    expect(await tasks[0].handle.result()).toMatchObject({ outcome: 'executed', approvedBy: APPROVER });
    expect(await tasks[2].handle.result()).toMatchObject({ outcome: 'executed', approvedBy: APPROVER });
    // What was not ticked still waits.
    expect((await tasks[1].handle.query(statusQuery)).phase).toBe('awaiting-human');
    expect((await mine.handle.query(statusQuery)).phase).toBe('awaiting-human');
    expect(effects().sort()).toEqual(['page-1', 'page-3']);

    await page.click('#modal-close');
    const told = page.locator('.message.ephemeral', { hasText: 'Batch answered' });
    await told.waitFor();
    expect(await told.textContent()).toContain('2 approved, 0 refused');
    await page.screenshot({ path: join(OUTPUT, '4-outcome-message.png'), fullPage: true });
  });
});
