import type { AuditRecord } from '../../cli/audit-schema';
import type { TaskRead } from '../../dashboard/data/temporal-reads';
import { mainPage } from '../../dashboard/views/main-page';
import { taskPage } from '../../dashboard/views/task-page';
import type { LinkTargets } from '../../dashboard/views/layout';

const EVIL = `<script>alert(1)</script><img src=x onerror=alert(2)>`;
const links: LinkTargets = {
  workflow: (id) => `http://ui.invalid/${encodeURIComponent(id)}`,
  // A link an attacker could try to smuggle in through a message ref.
  slackMessage: () => 'javascript:alert(3)',
};

/** The page's text with everything escaped removed: what is left is markup the page wrote itself. */
const tags = (page: string): string[] =>
  [...page.matchAll(/<([a-z]+)[\s>]/gi)].map((m) => m[1].toLowerCase());

describe('pages with what an agent wrote', () => {
  it('escapes a hostile title, step parameters, reasons and the message as presented', () => {
    const record = {
      workflowId: 'task/a1/t1',
      status: 'completed',
      startedAt: '2026-11-26T14:00:00Z',
      answers: [
        {
          update: 'reject',
          answer: 'reject',
          by: 'U0APPR001',
          at: '2026-11-26T14:01:00Z',
          result: 'accepted',
          refusal: null,
          proof: null,
          sentBy: EVIL,
          shown: {
            kind: 'approval-request',
            channel: '#ops',
            to: null,
            title: EVIL,
            text: EVIL,
            postedAt: '2026-11-26T14:00:30Z',
            actions: [EVIL],
          },
        },
      ],
      decision: {
        effectiveRung: 2,
        earnedRung: 2,
        requestedRung: null,
        policyVersion: 'v1',
        decidedAt: '2026-11-26T14:00:01Z',
        refused: null,
        reasons: [{ rule: EVIL, ceiling: 2, message: EVIL }],
        bounds: { applied: false, violations: [] },
        approvers: [EVIL],
        twoPersonRule: false,
        typedConfirmation: EVIL,
      },
      outcome: {
        outcome: 'rejected',
        rung: 2,
        approvedBy: null,
        approvedAt: null,
        executedSteps: 0,
        reportRead: null,
        events: [EVIL],
        error: EVIL,
      },
      failure: null,
    } as unknown as AuditRecord;
    const read: TaskRead = {
      record,
      status: null,
      messageRef: 'C1/1.2',
      task: {
        taskId: 't1',
        agent: { id: 'a1', model: EVIL, promptVersion: 'p' },
        taskClass: 'ops',
        title: EVIL,
        requester: 'U0APPR001',
        environment: 'staging',
        steps: [{ action: 'shell.exec', params: { command: EVIL } }],
      } as TaskRead['task'],
    };
    const page = taskPage('task/a1/t1', read, links).text;
    expect(page).not.toMatch(/<script>|<img/);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain('javascript:');
    expect(new Set(tags(page))).not.toContain('img');
  });

  it('escapes freeze reasons and titles on the main page', () => {
    const page = mainPage(
      {
        readAtMs: Date.parse('2026-11-26T14:00:00Z'),
        grid: {
          policyVersion: EVIL,
          columns: [{ taskClass: 'ops', cap: 5, runtimeCap: { cap: 2, by: EVIL, reason: EVIL, at: 'now' } }],
          rows: [
            {
              agentId: 'a1',
              owner: EVIL,
              freeze: { cap: 0, by: EVIL, reason: EVIL, at: 'now', scope: 'agent' },
              inCanary: false,
              ledgerUnreadable: false,
              cells: [
                {
                  taskClass: 'ops',
                  earned: 3,
                  declared: false,
                  effective: 0,
                  reasons: [{ rule: 'kill-switch', ceiling: 0, message: EVIL }],
                  proposal: null,
                },
              ],
            },
          ],
          policyKillSwitch: null,
          canary: null,
        },
        pending: {
          questions: [
            {
              workflowId: 'task/a1/t1',
              agentId: 'a1',
              taskClass: 'ops',
              title: EVIL,
              rung: 2,
              waitingOn: EVIL,
              askedAtMs: 0,
              ageMs: 1000,
              expiresAtMs: null,
              messageRef: 'C1/1.2',
            },
          ],
          reports: [],
          proposals: [],
          notShown: 0,
        },
      },
      links,
    ).text;
    expect(page).not.toMatch(/<script>|<img/);
    expect(page).not.toContain('javascript:');
    expect(page.match(/&lt;script&gt;/g)!.length).toBeGreaterThanOrEqual(6);
  });
});
