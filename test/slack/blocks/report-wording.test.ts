import {
  digestListing,
  digestTitle,
  reportSummary,
  reportText,
  unreadDigestText,
  unreadReportText,
} from '../../../slack/blocks/report-wording';

describe('report wording', () => {
  it("tells a rung-5 task's report by how many steps ran, and pings with its title while unread", () => {
    expect(reportText({ executedSteps: 2, totalSteps: 3 })).toBe(
      'Done on my own (rung 5): 2 of 3 step(s) ran. What changed is below; please read it and mark it read.',
    );
    expect(unreadReportText('Deploy checkout 1.42.0')).toBe(
      'Unread report, waiting for a reader: Deploy checkout 1.42.0',
    );
  });

  it('sums a task up for a digest by what changed, or by its title when nothing reports a change', () => {
    expect(reportSummary(2, 'Deploy checkout 1.42.0')).toBe('2 step(s) executed: Deploy checkout 1.42.0');
    expect(reportSummary(1, 'Raise rps', 'set rps in app.json; rps: 10 → 20')).toBe(
      '1 step(s) executed: set rps in app.json; rps: 10 → 20',
    );
    // Many steps of long values: a digest line stays short.
    const long = reportSummary(40, 't', 'x'.repeat(5_000));
    expect(long).toHaveLength('40 step(s) executed: '.length + 300);
    expect(long.endsWith('…')).toBe(true);
  });

  it('lists a digest one numbered line per task, in arrival order, with the count in its title and ping', () => {
    const entries = [
      { taskClass: 'deploy', title: 'Deploy a', summary: reportSummary(1, 'Deploy a') },
      { taskClass: 'restart', title: 'Restart b', summary: reportSummary(3, 'Restart b') },
    ];
    expect(digestTitle('ops-agent', entries.length)).toBe('Digest: 2 task(s) ops-agent did on its own');
    expect(digestListing(entries)).toBe(
      '1. [deploy] Deploy a: 1 step(s) executed: Deploy a\n2. [restart] Restart b: 3 step(s) executed: Restart b',
    );
    expect(digestListing([])).toBe('');
    // A busy period lists its first tasks and counts the rest.
    expect(digestListing(entries.slice(0, 1), 250)).toBe(
      '1. [deploy] Deploy a: 1 step(s) executed: Deploy a\n…and 249 more task(s) in this period (each has its own page in Temporal)',
    );
    expect(unreadDigestText(2)).toBe('Unread digest of 2 task(s)');
  });
});
