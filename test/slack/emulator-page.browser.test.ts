import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { delegatedTask } from '../../workflows/delegated-task';
import { ephemeralsFor, startSlackRig, type SlackRig } from '../helpers/slack';
import { workflowTestPolicy } from '../helpers/tasks';
import { waitUntil } from '../helpers/wait';

const CHROMIUM = process.env.LADDER_CHROMIUM ?? '/usr/bin/chromium';

// End to end as a person does it: headless Chromium on the emulator's page, the real Bolt app
// behind signed requests, a real worker and the dev server. .ci/run installs Debian's chromium.
describe('the emulator page in headless Chromium', () => {
  let rig: SlackRig;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} not found: install Debian's chromium (apt-get install chromium) or set LADDER_CHROMIUM`,
      );
    }
    rig = await startSlackRig('slack-browser', workflowTestPolicy());
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage();
    page.setDefaultTimeout(60_000);
    await page.goto(rig.emulator.pageUrl);
  });
  afterAll(async () => {
    await browser?.close();
    await rig?.stop();
  });

  const actAs = async (user: string): Promise<void> => {
    await page.selectOption('#acting-user', user);
  };
  const openChannel = async (name: string): Promise<void> => {
    await page.click(`#channels a[data-channel="${name}"]`);
  };
  const typeCommand = async (text: string): Promise<void> => {
    await page.fill('#composer', text);
    await page.press('#composer', 'Enter');
  };
  const effects = (): string[] => {
    const path = join(rig.stack.dirs.sandboxDir, 'effects.log');
    return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : [];
  };

  it('delegates with /ladder delegate, refuses an outsider, approves once on a double click, and shows the outcome', async () => {
    const { emulator } = rig;
    // A 429 from the Web API on the first post: the approval request is late, not lost.
    emulator.injectFault(
      { kind: 'rate-limited', retryAfterSeconds: 1 },
      { method: 'chat.postMessage', times: 1 },
    );

    await actAs('U0APPR001');
    await openChannel('#ops');
    await typeCommand('/ladder delegate');
    const modal = page.locator('#modal');
    await modal.locator('[data-block-id="agent"] select').selectOption('a2');
    await modal.locator('[data-block-id="task_class"] select').selectOption('ops');
    await modal.locator('[data-block-id="title"] input').fill('Browser append');
    await modal.locator('[data-block-id="action"] select').selectOption('shell.exec');
    // The environment is one the policy names, chosen, never typed.
    await modal.locator('[data-block-id="environment"] select').selectOption('staging');
    // First with params that are not JSON: the error appears on the field, the modal stays.
    await modal.locator('[data-block-id="params"] textarea').fill('{"command": ');
    await page.click('#modal-submit');
    await page.locator('[data-block-id="params"] .field-error').waitFor();
    expect(await page.locator('[data-block-id="params"] .field-error').textContent()).toMatch(
      /^expected JSON/,
    );
    await modal
      .locator('[data-block-id="params"] textarea')
      .fill('{"command": "echo browser >> effects.log"}');
    await page.click('#modal-submit');
    await page.locator('#modal-backdrop').waitFor({ state: 'hidden' });

    const started = page.locator('.message.ephemeral', { hasText: 'Started: Browser append' });
    await started.waitFor();
    const workflowId = /as (task\/a2\/\S+) \(/.exec((await started.textContent()) ?? '')![1];

    const request = page.locator('.message', { hasText: 'Approval needed: Browser append' });
    await request.waitFor();
    expect(emulator.calls.filter((c) => c.method === 'chat.postMessage').map((c) => c.status)).toContain(429);
    expect(await request.textContent()).toContain('requester: U0APPR001');

    // Someone who is not an approver clicks: refused, ephemerally, nothing runs.
    await actAs('U0OWNER01');
    await request.locator('button[data-action-id="ladder_approve"]').click();
    await page.locator('.message.ephemeral', { hasText: 'Refused: U0OWNER01 is not an approver' }).waitFor();
    expect(effects()).toEqual([]);

    // The approver double-clicks Approve: one approval, one execution.
    await actAs('U0APPR002');
    await request.locator('button[data-action-id="ladder_approve"]').dblclick();
    const handle = rig.stack.client.workflow.getHandle<typeof delegatedTask>(workflowId);
    expect(await handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR002' });
    expect(effects()).toEqual(['browser']);

    // The same message now shows who approved and how it ended; the only button left reports a defect.
    const closed = page.locator('.message', {
      hasText: 'Executed: 1 of 1 step(s) ran. Approved by U0APPR002',
    });
    await closed.waitFor();
    expect(await closed.locator('button').allTextContents()).toEqual(['Report a defect']);
    await waitUntil(() => ephemeralsFor(emulator, '#ops', 'U0APPR002').length >= 1);
    const answers = ephemeralsFor(emulator, '#ops', 'U0APPR002');
    expect(answers.filter((t) => t.startsWith('Recorded: approve'))).toHaveLength(1);
    await page.screenshot({ path: join(rig.stack.dirs.stateDir, 'emulator-page.png') });
  });
});
