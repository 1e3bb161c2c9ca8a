import { HELP_TEXT } from '../../../slack/blocks/status';
import { parseLadderCommand } from '../../../slack/listeners/commands';

describe('/ladder pending', () => {
  it('parses with and without a task class', () => {
    expect(parseLadderCommand('pending', [])).toEqual({ kind: 'pending' });
    expect(parseLadderCommand('  PENDING   ops  ', [])).toEqual({ kind: 'pending', taskClass: 'ops' });
  });

  it('is in the help', () => {
    expect(HELP_TEXT.split('\n')).toContain(
      '• `/ladder pending [task class]` — answer several approval requests of one class at once',
    );
  });
});
