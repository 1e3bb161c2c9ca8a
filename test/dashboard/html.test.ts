import { escapeHtml, html, jsonForScript, safeHref, SafeHtml } from '../../dashboard/html';

// Not named `html` here: prettier would reformat the markup these tests compare byte for byte.
const markup = html;

describe('dashboard markup', () => {
  const hostile = `<script>alert(1)</script><img src=x onerror="alert('x')">&\``;

  it('escapes every interpolated value, in element bodies and attributes', () => {
    const out = html`<p title="${hostile}">${hostile}</p>`.text;
    expect(out).toBe(
      '<p title="&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;&#96;">&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;&#96;</p>',
    );
    expect(out).not.toMatch(/<script|<img/);
  });

  it('inserts markup it built itself as is, and joins lists', () => {
    const items = ['<a>', 'b'].map((x) => html`<li>${x}</li>`);
    expect(markup`<ul>${items}</ul>`.text).toBe('<ul><li>&lt;a&gt;</li><li>b</li></ul>');
    expect(html`${null}${undefined}${false}${0}`.text).toBe('0');
    expect(html`${new SafeHtml('<b>ok</b>')}`.text).toBe('<b>ok</b>');
  });

  it('writes JSON that cannot close its script block', () => {
    const text = jsonForScript({ title: '</script><script>alert(1)</script>', line: '\u2028' }).text;
    expect(text).not.toMatch(/<|>/);
    expect(JSON.parse(text)).toEqual({ title: '</script><script>alert(1)</script>', line: '\u2028' });
  });

  it('keeps only http(s) and same-site links', () => {
    expect(safeHref('https://slack.com/archives/C1/p1')).toBe('https://slack.com/archives/C1/p1');
    expect(safeHref('/task?id=x')).toBe('/task?id=x');
    expect(safeHref('javascript:alert(1)')).toBe('#');
    expect(safeHref('//evil.example/')).toBe('#');
    expect(safeHref('data:text/html,<script>')).toBe('#');
    expect(escapeHtml('a&b')).toBe('a&amp;b');
  });
});
