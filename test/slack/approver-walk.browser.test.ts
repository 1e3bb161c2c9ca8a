import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { loadPolicyFile } from '../../policy/loader';
import { openPage, screenshotDir } from '../helpers/browser';
import { startSlackRig, type SlackRig } from '../helpers/slack';
import { appendStep, submit, taskRequest } from '../helpers/tasks';

const SCREENS = screenshotDir('approver-walk');
const fixture = (name: string) => loadPolicyFile(join(__dirname, '..', 'fixtures', 'policies', name)).policy;

/** Types a slash command into the page's composer as the acting person. */
async function command(page: Page, text: string): Promise<void> {
  await page.fill('#composer', text);
  await page.press('#composer', 'Enter');
}

// An approver's day in the emulator's page, as a person clicks it (headless Chromium, the real Bolt
// app behind signed requests, a real worker and the dev server): a request that warns before it
// expires and escalates to the next group, a workspace that survives the emulator's restart, and
// an out-of-office stand-in who answers.
describe('the approver’s side in the emulator page (headless Chromium)', () => {
  describe('expiry and a restart', () => {
    let rig: SlackRig;
    let browser: Browser;
    let page: Page;
    beforeAll(async () => {
      rig = await startSlackRig('walk-expiry', fixture('workflow.yaml'), {
        emulatorStateFile: join(mkdtempSync(join(tmpdir(), 'ladder-walk-')), 'workspace.json'),
      });
      ({ browser, page } = await openPage(rig.emulator.pageUrl));
    });
    afterAll(async () => {
      await browser?.close();
      await rig?.stop();
    });

    it('warns before expiry with the buttons, escalates to the leads, and a lead approves from the new request', async () => {
      await page.selectOption('#acting-user', 'U0LEAD001');
      await page.click('#channels a[data-channel="#expiry"]');
      const task = await submit(rig.stack, taskRequest('a2', 'expiry-escalate', [appendStep('walk-expiry')]));
      const request = page.locator('.message', { hasText: 'Approval needed' }).first();
      await request.getByText('then it goes to leads').waitFor();
      expect(await request.textContent()).toContain('two-person rule');
      await page.screenshot({ path: join(SCREENS, '1-request-with-expiry.png'), fullPage: true });

      const warning = page.locator('.message', { hasText: 'Expires in 2 s: still waiting for approval' });
      await warning.waitFor();
      expect(await warning.locator('button').allTextContents()).toEqual(
        expect.arrayContaining(['Approve', 'Reject']),
      );
      await page.screenshot({ path: join(SCREENS, '2-expiry-warning.png'), fullPage: true });

      const escalated = page.locator('.message', { hasText: 'Escalated to leads: nobody answered in time' });
      await escalated.waitFor();
      await page
        .locator('.message', { hasText: 'Not answered in time: the request went on to leads' })
        .waitFor();
      await escalated.locator('button', { hasText: 'Approve' }).click();
      expect(await task.handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0LEAD001' });
      await page.locator('.message', { hasText: 'Approved by U0LEAD001' }).first().waitFor();
      await page.screenshot({ path: join(SCREENS, '3-escalated-approved-by-lead.png'), fullPage: true });
    });

    it('keeps a waiting request across an emulator restart, and its Approve still works', async () => {
      const task = await submit(rig.stack, taskRequest('a2', 'ops', [appendStep('walk-restart')]));
      await page.selectOption('#acting-user', 'U0APPR002');
      await page.click('#channels a[data-channel="#ops"]');
      const marker = `task/a2/${task.workflowId.split('/').at(-1)}`;
      await page.locator('.message', { hasText: marker }).first().waitFor();

      await rig.restartEmulator();
      await page.reload();
      await page.selectOption('#acting-user', 'U0APPR002');
      await page.click('#channels a[data-channel="#ops"]');
      const kept = page.locator('.message', { hasText: 'Approval needed' }).filter({ hasText: marker });
      await kept.waitFor();
      await page.screenshot({ path: join(SCREENS, '4-kept-after-restart.png'), fullPage: true });
      await kept.locator('button', { hasText: 'Approve' }).first().click();
      expect(await task.handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR002' });
      await page
        .locator('.message', { hasText: marker })
        .filter({ hasText: 'Approved by U0APPR002' })
        .waitFor();
      await page.screenshot({ path: join(SCREENS, '5-approved-after-restart.png'), fullPage: true });
    });
  });

  describe('out of office', () => {
    let rig: SlackRig;
    let browser: Browser;
    let page: Page;
    beforeAll(async () => {
      rig = await startSlackRig('walk-away', fixture('standing.yaml'));
      ({ browser, page } = await openPage(rig.emulator.pageUrl));
    });
    afterAll(async () => {
      await browser?.close();
      await rig?.stop();
    });

    it('declares an absence with /ladder away, the stand-in approves the request that names them, and /ladder back ends it', async () => {
      const until = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      await page.selectOption('#acting-user', 'U0APPR002');
      await page.click('#channels a[data-channel="#plain"]');
      await command(page, `/ladder away until ${until} delegate <@U0SUB0001|sub>`);
      await page.locator('.message.ephemeral', { hasText: `You are away until ${until}` }).waitFor();
      await page.screenshot({ path: join(SCREENS, '6-away-declared.png'), fullPage: true });

      const task = await submit(rig.stack, taskRequest('a2', 'plain', [appendStep('walk-stand-in')]));
      await page.selectOption('#acting-user', 'U0SUB0001');
      const request = page.locator('.message', { hasText: 'Approval needed' }).last();
      await request.getByText('stands in for').waitFor();
      await page.screenshot({ path: join(SCREENS, '7-request-names-stand-in.png'), fullPage: true });
      await request.locator('button', { hasText: 'Approve' }).first().click();
      expect(await task.handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0SUB0001' });
      await page
        .locator('.message', { hasText: 'Approved by U0SUB0001 (standing in for U0APPR002)' })
        .waitFor();
      await page.screenshot({ path: join(SCREENS, '8-approved-by-stand-in.png'), fullPage: true });

      await page.selectOption('#acting-user', 'U0APPR002');
      await command(page, '/ladder back');
      await page.locator('.message.ephemeral', { hasText: 'Welcome back' }).waitFor();
    });
  });
});
