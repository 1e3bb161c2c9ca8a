import {
  digestListing,
  digestTitle,
  reportSummary,
  reportText,
  unreadDigestText,
  unreadReportText,
} from '../../../slack/blocks/report-wording';

describe('report wording', () => {
  it("tells a rung-5 task's report from its summary, and pings with its title while unread", () => {
    const summary = reportSummary(2, 'Deploy checkout 1.42.0');
    expect(summary).toBe('2 step(s) executed: Deploy checkout 1.42.0');
    expect(reportText(summary)).toBe('Done on my own (rung 5). 2 step(s) executed: Deploy checkout 1.42.0');
    expect(unreadReportText('Deploy checkout 1.42.0')).toBe('Unread report: Deploy checkout 1.42.0');
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
