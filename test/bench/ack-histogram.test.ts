import { ackBuckets, ackQuantilesMs } from '../../bench/tasks/ack-histogram';

const exposition = (counts: [string, number][], kind = 'block_actions'): string =>
  [
    '# HELP ladder_slack_ack_seconds Time from a Slack request arriving to its ack being sent',
    '# TYPE ladder_slack_ack_seconds histogram',
    ...counts.map(([le, n]) => `ladder_slack_ack_seconds_bucket{le="${le}",kind="${kind}"} ${n}`),
    'ladder_slack_ack_seconds_bucket{le="0.005",kind="command"} 7',
    `ladder_slack_ack_seconds_count{kind="${kind}"} ${counts.at(-1)?.[1] ?? 0}`,
  ].join('\n');

describe("the Slack app's own ack histogram", () => {
  it('reads the buckets of one kind of request', () => {
    const b = ackBuckets(
      exposition([
        ['0.005', 3],
        ['0.025', 9],
        ['+Inf', 10],
      ]),
      'block_actions',
    );
    expect([...b]).toEqual([
      [0.005, 3],
      [0.025, 9],
      [Infinity, 10],
    ]);
    expect(ackBuckets('nothing here', 'block_actions').size).toBe(0);
  });

  it("gives the phase's p50 and p99 as the bucket bounds they fall in, counting only that phase", () => {
    const before = ackBuckets(
      exposition([
        ['0.005', 50],
        ['0.025', 50],
        ['0.05', 50],
        ['+Inf', 50],
      ]),
      'block_actions',
    );
    // 100 acks in the phase: 60 within 5 ms, 98 within 25 ms, 100 within 50 ms.
    const after = ackBuckets(
      exposition([
        ['0.005', 110],
        ['0.025', 148],
        ['0.05', 150],
        ['+Inf', 150],
      ]),
      'block_actions',
    );
    expect(ackQuantilesMs(before, after)).toEqual({ count: 100, p50AtMostMs: 5, p99AtMostMs: 50 });
  });

  it('says "no acks" rather than a figure when the phase counted none', () => {
    const same = ackBuckets(
      exposition([
        ['0.005', 4],
        ['+Inf', 4],
      ]),
      'block_actions',
    );
    expect(ackQuantilesMs(same, same)).toBeNull();
    expect(ackQuantilesMs(new Map(), new Map())).toBeNull();
  });
});
