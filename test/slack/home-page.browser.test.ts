import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createLedgerLink } from '../../client/ledger-link';
import { setAway } from '../../client/delegations';
import { grantStandingApproval } from '../../client/standing-approvals';
import type { LedgerState } from '../../policy/ledger';
import { loadPolicyFile } from '../../policy/loader';
import { ACTION_IDS } from '../../slack/action-ids';
import { ledgerQuery, ledgerWorkflowId } from '../../workflows/messages';
import { frontendSigner } from '../helpers/answers';
import { openPage, screenshotDir } from '../helpers/browser';
import { startSlackRig, waitForMessage, type SlackRig } from '../helpers/slack';
import { appendStep, submit, taskRequest, waitForStatus } from '../helpers/tasks';
import { waitPastCleanPeriod, waitUntil } from '../helpers/wait';

const SCREENS = screenshotDir('home-page');
const HOUR = 3_600_000;

// A person's App Home in the emulator's page, end to end: headless Chromium opens the Home tab (the
// emulator delivers a signed app_home_opened), the real Bolt app publishes what waits on the person
// (an approval request, a promotion proposal they may decide, the standing approval they granted),
// and a button clicked there answers the real workflow on the dev server.
describe('the App Home in the emulator page (headless Chromium)', () => {
  let rig: SlackRig;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    rig = await startSlackRig(
      'home-page',
      loadPolicyFile(join(__dirname, '..', 'fixtures', 'policies', 'home.yaml')).policy,
      { ledger: true },
    );
    ({ browser, page } = await openPage(rig.emulator.pageUrl));
  });
  afterAll(async () => {
    await browser?.close();
    await rig?.stop();
  });

  const readLedger = (agent: string): Promise<LedgerState | undefined> =>
    rig.stack.client.workflow
      .getHandle(ledgerWorkflowId(rig.stack.taskQueue, agent))
      .query(ledgerQuery)
      .catch(() => undefined);

  /** Earns `climber` a promotion proposal in ops (40 clean approvals over the 3 s clean period). */
  async function earnProposal(): Promise<void> {
    const link = createLedgerLink({ client: rig.stack.client, taskQueue: rig.stack.taskQueue });
    const approved = (i: number) =>
      link.send('climber', {
        id: `t-${i}/approved`,
        event: {
          kind: 'outcome',
          outcome: 'approved',
          workflowId: `task/climber/t-${i}`,
          taskClass: 'ops',
          rung: 2,
        },
      });
    await Promise.all(Array.from({ length: 39 }, (_, i) => approved(i)));
    // The policy's clean period (3 s) must have passed since the ledger counted the first evidence.
    await waitPastCleanPeriod(() => readLedger('climber'), 'ops', 39, 3_000);
    await approved(39);
    await waitForMessage(rig.emulator, '#ops', (m) =>
      JSON.stringify(m.blocks).includes(`"action_id":"${ACTION_IDS.promote}"`),
    ).catch(async (err: Error) => {
      // Say what the ledger holds and what #ops shows, so a failure here explains itself.
      const ledger = await readLedger('climber');
      throw new Error(
        `${err.message}: no proposal in #ops; ledger ${JSON.stringify(ledger?.classes.ops ?? null)} proposals ${JSON.stringify(ledger?.proposals ?? null)}; #ops: ${JSON.stringify(rig.emulator.messages('#ops').map((m) => m.text))}`,
      );
    });
  }

  const home = () => page.locator('#messages .home');

  /** Opens the Home tab until it shows `text` (WaitingOn reaches visibility a moment after a task asks). */
  async function openHomeUntil(text: string): Promise<void> {
    await waitUntil(async () => {
      await page.click('#home-tab');
      await home().waitFor();
      return ((await home().textContent()) ?? '').includes(text);
    });
  }

  it('opens the Home tab, shows the request, the proposal and the standing approval, and approves from there', async () => {
    await earnProposal();
    const standing = await grantStandingApproval(
      rig.stack.client,
      { taskQueue: rig.stack.taskQueue, signer: frontendSigner() },
      {
        agentId: 'hasty',
        taskClass: 'ops',
        action: 'shell.exec',
        resource: 'web',
        environment: 'staging',
        targets: ['run systemctl restart web (in .)'],
        by: 'U0APPR001',
        termMs: HOUR,
        maxUses: 2,
      },
    );
    const task = await submit(rig.stack, taskRequest('hasty', 'ops', [appendStep('home-page')]));
    const asked = await waitForStatus(task.handle, (s) => s.phase === 'awaiting-human');

    await page.selectOption('#acting-user', 'U0APPR001');
    // The Home shows the task's summary (its id travels in the buttons' values).
    const summary = 'hasty ops test task';
    await openHomeUntil(summary);
    expect(await page.locator('#home-tab').getAttribute('class')).toBe('active');
    const text = (await home().textContent()) ?? '';
    expect(text).toContain('Waiting on you');
    expect(text).toContain('1 task waits on you.');
    expect(text).toContain('Promotions to decide');
    expect(text).toContain('climber in ops: rung 2 → 3');
    expect(text).toContain('Your standing approvals');
    expect(text).toContain(standing.id);
    // Emoji and mrkdwn drawn as for messages: no raw shortcodes or asterisks around the agent.
    expect(text).not.toMatch(/:[a-z_]+:/);
    expect(await home().locator('b', { hasText: 'climber' }).count()).toBeGreaterThan(0);
    const approve = home().locator(`button[data-action-id="${ACTION_IDS.approve}"]`);
    expect(await approve.getAttribute('data-value')).toBe(`${task.workflowId}#${asked.stepsHash}`);
    const buttons = await Promise.all(
      (await home().locator('button').all()).map((b) => b.getAttribute('data-action-id')),
    );
    expect(buttons).toEqual(
      expect.arrayContaining([
        ACTION_IDS.approve,
        ACTION_IDS.reject,
        ACTION_IDS.promote,
        ACTION_IDS['decline-promotion'],
        ACTION_IDS['revoke-standing'],
      ]),
    );
    // The app published it (views.publish), for this person.
    expect(JSON.stringify(rig.emulator.homeFor('U0APPR001')?.view)).toContain(task.workflowId);
    await page.screenshot({ path: join(SCREENS, '1-home-opened.png'), fullPage: true });
    // The agent's owner may not decide the promotion (the ledger lets admins and class approvers): not in their Home.
    await rig.emulator.openHome('U0OWNER01');
    await waitUntil(() => rig.emulator.homeFor('U0OWNER01') !== undefined);
    // (The task's escalation may list it for the owner too: only the proposal is checked here.)
    expect(JSON.stringify(rig.emulator.homeFor('U0OWNER01')?.view)).toContain('Waiting on you');
    expect(JSON.stringify(rig.emulator.homeFor('U0OWNER01')?.view)).not.toContain(ACTION_IDS.promote);

    await approve.click();
    expect(await task.handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR001' });
    // The app publishes the Home again after a click there; the page shows it without the task.
    await waitUntil(async () => !((await home().textContent()) ?? '').includes(summary));
    expect(await home().textContent()).toContain('Promotions to decide');
    await page.screenshot({ path: join(SCREENS, '2-approved-from-home.png'), fullPage: true });

    await home().locator(`button[data-action-id="${ACTION_IDS.promote}"]`).click();
    await waitUntil(async () => (await readLedger('climber'))?.classes.ops?.rung === 3);
    expect((await readLedger('climber'))?.history.at(-1)).toMatchObject({ from: 2, to: 3, by: 'U0APPR001' });
    await waitUntil(async () => !((await home().textContent()) ?? '').includes('Promotions to decide'));
    await page.screenshot({ path: join(SCREENS, '3-promotion-approved.png'), fullPage: true });
  });

  it("shows a person's absence with its stand-in and how to end it", async () => {
    await setAway(
      rig.stack.client,
      { taskQueue: rig.stack.taskQueue, signer: frontendSigner() },
      { by: 'U0APPR002', delegate: 'U0SUB0001', until: new Date(Date.now() + 86_400_000).toISOString() },
    );
    await page.selectOption('#acting-user', 'U0APPR002');
    await openHomeUntil('While you are away');
    const text = (await home().textContent()) ?? '';
    expect(text).toContain('@U0SUB0001 answers your requests meanwhile.');
    expect(text).toContain('/ladder back');
    await page.screenshot({ path: join(SCREENS, '4-away.png'), fullPage: true });
    // Back early, from the Home: the absence ends and the Home no longer shows it.
    await home().locator('button', { hasText: "I'm back" }).click();
    await page.getByText('While you are away').waitFor({ state: 'detached' });
    await page.screenshot({ path: join(SCREENS, '5-back-from-home.png'), fullPage: true });
  });
});
