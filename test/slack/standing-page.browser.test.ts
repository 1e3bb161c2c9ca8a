import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { loadPolicyFile } from '../../policy/loader';
import { openPage, screenshotDir } from '../helpers/browser';
import { startSlackRig, type SlackRig } from '../helpers/slack';
import { appendStep, submit, taskRequest } from '../helpers/tasks';

const SCREENS = screenshotDir('standing-approvals');

// A standing approval as an approver makes, sees and revokes it in the emulator's page: headless
// Chromium, the real Bolt app behind signed requests, a real worker and the dev server.
describe('standing approvals and edits in the emulator page (headless Chromium)', () => {
  let rig: SlackRig;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    rig = await startSlackRig(
      'standing-browser',
      loadPolicyFile(join(__dirname, '..', 'fixtures', 'policies', 'standing.yaml')).policy,
    );
    ({ browser, page } = await openPage(rig.emulator.pageUrl));
  });
  afterAll(async () => {
    await browser?.close();
    await rig?.stop();
  });

  it('approves and allows from the request, shows the next task let through, and revokes from /ladder approvals', async () => {
    // The same command each time: a standing approval covers what the steps act on.
    const web = () => taskRequest('a2', 'standing', [appendStep('page-standing')], { resource: 'web' });
    await page.selectOption('#acting-user', 'U0APPR002');
    await page.click('#channels a[data-channel="#standing"]');
    const first = await submit(rig.stack, web());
    const request = page.locator('.message', { hasText: 'Approval needed' }).last();
    await request.locator('button', { hasText: 'Approve + allow for a while…' }).click();

    const modal = page.locator('#modal');
    await modal.getByText('a2 to run shell.exec on web in staging').waitFor();
    await modal.getByText('run echo page-standing >> effects.log (in .)').waitFor();
    await modal.locator('[data-block-id="term"] select').selectOption(String(2 * 3_600_000));
    await modal.locator('[data-block-id="uses"] input').fill('2');
    await page.screenshot({ path: join(SCREENS, '1-allow-modal.png'), fullPage: true });
    await page.click('#modal-submit');
    expect(await first.handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR002' });
    const granted = page.locator('.message.ephemeral', { hasText: 'granted standing approval' });
    await granted.waitFor();
    const id = /standing approval (sa-[0-9a-f]{8})/.exec((await granted.textContent()) ?? '')![1];

    const second = await submit(rig.stack, web());
    expect(await second.handle.result()).toMatchObject({ outcome: 'executed' });
    await page
      .locator('.message', {
        hasText: `Approved in advance by standing approval ${id} of U0APPR002 (use 1 of 2)`,
      })
      .waitFor();
    await page.screenshot({ path: join(SCREENS, '2-let-through.png'), fullPage: true });

    await page.fill('#composer', '/ladder approvals');
    await page.press('#composer', 'Enter');
    const listing = page.locator('.message.ephemeral', { hasText: `${id} · a2 may run shell.exec on web` });
    await listing.waitFor();
    expect(await listing.textContent()).toContain('used 1 of 2');
    expect(await listing.textContent()).toContain('run echo page-standing >> effects.log (in .)');
    await page.screenshot({ path: join(SCREENS, '3-approvals-list.png'), fullPage: true });
    await listing.locator('button', { hasText: 'Revoke' }).click();
    await page.locator('.message.ephemeral', { hasText: `Revoked standing approval ${id}` }).waitFor();
    await page.screenshot({ path: join(SCREENS, '4-revoked.png'), fullPage: true });

    const third = await submit(rig.stack, web());
    await page.locator('.message', { hasText: 'Approval needed' }).last().waitFor();
    await third.handle.cancel();
  });

  it('narrows a request with Edit… and approves the edited steps', async () => {
    await page.selectOption('#acting-user', 'U0APPR002');
    await page.click('#channels a[data-channel="#plain"]');
    const step = {
      action: 'shell.exec',
      params: { command: 'echo page-edit >> effects.log', timeoutMs: 60_000 },
    };
    const task = await submit(rig.stack, taskRequest('a2', 'plain', [step]));
    const request = page.locator('.message', { hasText: 'Approval needed' }).last();
    await request.locator('button', { hasText: 'Edit…' }).click();
    const field = page.locator('#modal [data-block-id="edit:0:lower:timeoutMs"] input');
    await field.waitFor();
    expect(await field.inputValue()).toBe('60000');
    await field.fill('30000');
    await page.screenshot({ path: join(SCREENS, '5-edit-modal.png'), fullPage: true });
    await page.click('#modal-submit');
    await page.locator('.message', { hasText: 'Edited by U0APPR002' }).waitFor();
    const again = page.locator('.message', { hasText: 'Approval needed' }).last();
    await page.selectOption('#acting-user', 'U0APPR001');
    await again.locator('button[data-action-id="ladder_approve"]').click();
    expect(await task.handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR001' });
    await page.locator('.message', { hasText: 'Approved by U0APPR001' }).waitFor();
    await page.screenshot({ path: join(SCREENS, '6-edited-approved.png'), fullPage: true });
  });
});
