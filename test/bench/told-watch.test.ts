import { ToldWatch } from '../../bench/tasks/told-watch';

describe('ToldWatch', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("settles a wait on the first ephemeral message to that user that includes the text, with the message's time", async () => {
    const watch = new ToldWatch();
    const first = watch.expect('U1', 'task/a/1', 60_000);
    const second = watch.expect('U1', 'task/a/2', 60_000);
    // Seen by everyone, for someone else, or about another task: none of these settles the first wait.
    watch.seen({ text: 'Recorded: approve by <@U1> on task/a/1.' }, 1);
    watch.seen({ ephemeralTo: 'U2', text: 'Recorded: approve by <@U2> on task/a/1.' }, 2);
    watch.seen({ ephemeralTo: 'U1', text: 'Recorded: approve by <@U1> on task/a/2.' }, 3);
    expect(watch.open).toBe(1);
    watch.seen({ ephemeralTo: 'U1', text: 'Recorded: approve by <@U1> at T on task/a/1.' }, 4);
    await expect(first).resolves.toBe(4);
    await expect(second).resolves.toBe(3);
    expect(watch.open).toBe(0);
  });

  it('rejects after the timeout, naming the user and the text, and forgets the wait', async () => {
    const watch = new ToldWatch();
    const wait = watch.expect('U1', 'task/a/9', 5_000);
    const failed = expect(wait).rejects.toThrow(
      'the Slack app told U1 nothing including "task/a/9" within 5 s',
    );
    jest.advanceTimersByTime(5_001);
    await failed;
    expect(watch.open).toBe(0);
    // A message after the timeout changes nothing.
    watch.seen({ ephemeralTo: 'U1', text: 'task/a/9' }, 7);
  });

  it('refuses to wait for an empty text, which every message would match', async () => {
    await expect(new ToldWatch().expect('U1', '', 1_000)).rejects.toThrow('the text to wait for is empty');
  });
});
