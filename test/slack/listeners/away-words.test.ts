import { awayUntil, parseAway } from '../../../slack/listeners/away-words';

describe('/ladder away words', () => {
  it('reads until and the delegate in any order, the person as a mention, @id or id', () => {
    expect(parseAway(['until', '2026-12-01', 'delegate', '<@U0SUB0001|sub>'])).toEqual({
      kind: 'away',
      until: '2026-12-01',
      delegate: 'U0SUB0001',
    });
    expect(parseAway(['delegate', '@U0SUB0001', 'until', '2026-12-01T09:00:00Z'])).toEqual({
      kind: 'away',
      until: '2026-12-01T09:00:00Z',
      delegate: 'U0SUB0001',
    });
    expect(parseAway(['DELEGATE', 'U0SUB0001'])).toEqual({ kind: 'away', delegate: 'U0SUB0001' });
    // Not a Slack user id: no delegate, so the listener answers with the usage.
    expect(parseAway(['until', '2026-12-01', 'delegate', 'bob'])).toEqual({
      kind: 'away',
      until: '2026-12-01',
    });
  });

  it('takes a date as that day at 00:00 UTC, an ISO time as is, and nothing else', () => {
    expect(awayUntil('2026-12-01')).toBe('2026-12-01T00:00:00.000Z');
    expect(awayUntil('2026-12-01T09:30:00+01:00')).toBe('2026-12-01T08:30:00.000Z');
    for (const bad of ['tomorrow', '2026-13-01', '12/01/2026', '']) expect(awayUntil(bad)).toBeUndefined();
  });
});
