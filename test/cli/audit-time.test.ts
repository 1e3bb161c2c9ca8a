import { parseWhen, WHEN_FORMATS } from '../../cli/audit-time';

const NOW = Date.parse('2025-03-10T12:00:00.000Z');
const iso = (value: string): string => new Date(parseWhen(value, NOW)).toISOString();

describe('parseWhen (--since / --until of ladder audit export)', () => {
  it.each([
    ['30m', '2025-03-10T11:30:00.000Z'],
    ['24h', '2025-03-09T12:00:00.000Z'],
    ['7d', '2025-03-03T12:00:00.000Z'],
    ['2w', '2025-02-24T12:00:00.000Z'],
    ['0d', '2025-03-10T12:00:00.000Z'],
    ['2025-01-31', '2025-01-31T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2025-01-31T09:00Z', '2025-01-31T09:00:00.000Z'],
    ['2025-01-31T09:00:05.250Z', '2025-01-31T09:00:05.250Z'],
    ['2025-01-31T10:00:00+01:00', '2025-01-31T09:00:00.000Z'],
    ['2025-01-31T00:30:00-02:00', '2025-01-31T02:30:00.000Z'],
  ])('reads %j as %s', (value, expected) => {
    expect(iso(value)).toBe(expected);
  });

  it.each(['yesterday', '7', 'd7', '7 d', '1.5d', '7y', '', '31/01/2025', '2025-1-31', 'now'])(
    'refuses %j, saying what it accepts',
    (value) => {
      expect(() => parseWhen(value, NOW)).toThrow(new Error(WHEN_FORMATS));
    },
  );

  it.each(['2025-02-30', '2025-13-01', '2025-02-29T00:00:00Z', '2025-01-31T25:00:00Z'])(
    'refuses %j, which is no real date or time',
    (value) => {
      expect(() => parseWhen(value, NOW)).toThrow(`not a real date or time; ${WHEN_FORMATS}`);
    },
  );

  it('asks for the zone of a date-time written without one', () => {
    expect(() => parseWhen('2025-01-31T09:00:00', NOW)).toThrow(
      /^a date-time needs its zone \(add Z for UTC, or an offset such as \+01:00\); expected a date/,
    );
  });
});
