import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import type { Notification } from '../../../activities/notify/notifier';
import { escapeMrkdwn, link, mention, stripControl } from '../../../slack/blocks/escape';
import { fallbackText, taskMessageBlocks } from '../../../slack/blocks/task-message';
import { statusBlocks } from '../../../slack/blocks/status';
import { rejectModal } from '../../../slack/blocks/modals';
import { emulatorPage } from '../../../slack/emulator/page';
import { loadPolicyFile } from '../../../policy/loader';

const HOSTILE = 'Deploy <!channel> <@U0ADMIN01> <http://evil.example|click> a&b\u0000\u001b[31m\r\u0085 ok';

const hostile: Notification = {
  kind: 'approval-request',
  workflowId: 'task/ops-agent/t-1',
  agentId: 'ops-agent',
  taskClass: 'deploy',
  channel: '#deploys',
  title: HOSTILE,
  text: `Needs your approval:\n1. ${HOSTILE}\nRefused: error <!here>`,
  fields: { reasons: '<!everyone> [pin] ≤ 2', requester: 'U0SRE0002', stepsHash: 'a'.repeat(64) },
  actions: ['approve', 'reject'],
  link: 'http://localhost:8233/namespaces/default/workflows/task%2Fops-agent%2Ft-1',
};

function texts(value: unknown): { type: string; text: string }[] {
  if (Array.isArray(value)) return value.flatMap(texts);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const own =
      typeof o.text === 'string' && typeof o.type === 'string' ? [{ type: o.type, text: o.text }] : [];
    return [...own, ...Object.values(o).flatMap(texts)];
  }
  return [];
}

/** C0/C1 control characters in `text`, but newline and tab. */
const controlChars = (text: string): number[] =>
  [...text]
    .map((c) => c.codePointAt(0)!)
    .filter((n) => (n < 0x20 && n !== 0x09 && n !== 0x0a) || (n >= 0x7f && n <= 0x9f));

/** The control sequences Slack would act on in a mrkdwn string. */
const controls = (text: string): string[] => text.match(/<[^<>]*>/g) ?? [];

describe('escapeMrkdwn', () => {
  it('turns &, < and > into entities and drops C0/C1 control characters but newline and tab', () => {
    expect(escapeMrkdwn('<!channel> & <@U1|x> > \u0000\u001b\u007f\u0085\u009f\r\n\tend')).toBe(
      '&lt;!channel&gt; &amp; &lt;@U1|x&gt; &gt; \n\tend',
    );
    expect(stripControl('a\u0000b\u001bc\nd\te\u0080')).toBe('abc\nd\te');
  });

  it('makes mentions only of ids and links only of http(s) URLs', () => {
    expect(mention('U0ADMIN01')).toBe('<@U0ADMIN01>');
    expect(mention('<!channel>')).toBe('&lt;!channel&gt;');
    expect(link('http://localhost:8233/x', 'a <b>')).toBe('<http://localhost:8233/x|a &lt;b&gt;>');
    expect(link('javascript:alert(1)', 'x')).toBe('x');
  });
});

describe('what agents write, in a task message', () => {
  it('reaches Slack as text: no mention, channel ping or link of theirs, no control characters', () => {
    const blocks = taskMessageBlocks(hostile);
    const all = texts(blocks);
    const mrkdwn = all.filter((t) => t.type === 'mrkdwn').map((t) => t.text);
    // The only control sequence left is Ladder's own Temporal UI link.
    expect(mrkdwn.flatMap(controls)).toEqual([`<${hostile.link}|Open in Temporal UI>`]);
    expect(mrkdwn.join('\n')).toContain(
      '&lt;!channel&gt; &lt;@U0ADMIN01&gt; &lt;http://evil.example|click&gt; a&amp;b',
    );
    expect(mrkdwn.join('\n')).toContain('*reasons:* &lt;!everyone&gt;');
    for (const t of all) expect(controlChars(t.text)).toEqual([]);
    // The header is plain_text (Slack parses nothing in it): only the control characters go.
    expect(all[0]).toEqual({
      type: 'plain_text',
      text: 'Approval needed: Deploy <!channel> <@U0ADMIN01> <http://evil.example|click> a&b[31m ok',
    });
  });

  it('escapes the top-level text the notification shows, too', () => {
    const text = fallbackText(hostile);
    expect(controls(text)).toEqual([]);
    expect(text).toContain('&lt;!channel&gt;');
    expect(controlChars(text)).toEqual([]);
  });

  it("keeps Ladder's own mention of the owner in a promotion proposal, not one the text carries", () => {
    const proposal: Notification = {
      ...hostile,
      kind: 'promotion-proposal',
      text: '<@U0OWNER01>, ops-agent has earned a proposal. <@U0ADMIN01> <!channel>',
    };
    const section = texts(taskMessageBlocks(proposal))[1].text;
    expect(controls(section)).toEqual(['<@U0OWNER01>']);
    // The same text on a task's message (which agents write) is not trusted.
    expect(controls(texts(taskMessageBlocks({ ...proposal, kind: 'outcome' }))[1].text)).toEqual([]);
  });

  it('escapes freeze reasons in /ladder status and what a reject modal is about', () => {
    const { policy } = loadPolicyFile(join(__dirname, '..', '..', '..', 'examples', 'policy.yaml'));
    const blocks = statusBlocks(policy, {
      all: { cap: 0, by: 'U0ADMIN01', reason: '<!channel> stop', at: '2026-01-01T00:00:00Z' },
      agents: {},
    } as never);
    const context = texts(blocks)[1].text;
    expect(controls(context)).toEqual(['<@U0ADMIN01>']);
    expect(context).toContain('&lt;!channel&gt; stop');
    const modal = texts(rejectModal({ workflowId: 'task/a/b', channel: 'C1' }, '<!here>'));
    expect(modal.flatMap((t) => controls(t.text))).toEqual([]);
  });
});

describe('the emulator page', () => {
  // The page's own mrkdwn renderer, run as the browser would.
  const script = emulatorPage();
  const source = script.slice(script.indexOf('const esc ='), script.indexOf('const textOf'));
  const render = runInNewContext(`${source}; mrkdwn`) as (text: string) => string;

  it('shows escaped text as the characters it is, never as markup or a link', () => {
    const html = render(texts(taskMessageBlocks(hostile))[1].text);
    expect(html).toContain('&lt;!channel&gt; &lt;@U0ADMIN01&gt; &lt;http://evil.example|click&gt; a&amp;b');
    expect(html).not.toContain('<a ');
    expect(html).not.toContain('<b>@');
  });

  it("renders Slack's own links and mentions, and HTML in text as text", () => {
    expect(render('<http://localhost:8233/x|Open> <@U0ADMIN01> <img src=x onerror=alert(1)>')).toBe(
      '<a href="http://localhost:8233/x" target="_blank" rel="noopener">Open</a> <b>@U0ADMIN01</b> &lt;img src=x onerror=alert(1)&gt;',
    );
    expect(render('<http://x.example/"onmouseover="alert(1)|y>')).toContain(
      'href="http://x.example/&quot;onmouseover=&quot;alert(1)"',
    );
  });
});
