import { mapBounded } from '../../client/map-bounded';

describe('mapBounded', () => {
  it('keeps order and never runs more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const out = await mapBounded([5, 1, 4, 2, 3, 0], 2, async (n, i) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setImmediate(r));
      running--;
      return `${i}:${n * 10}`;
    });
    expect(out).toEqual(['0:50', '1:10', '2:40', '3:20', '4:30', '5:0']);
    expect(most).toBe(2);
  });

  it('maps nothing to nothing, and runs one at a time when the limit is below one', async () => {
    expect(await mapBounded([], 4, async () => 1)).toEqual([]);
    let running = 0;
    let most = 0;
    const out = await mapBounded([1, 2, 3], 0, async (n) => {
      most = Math.max(most, ++running);
      await new Promise((r) => setImmediate(r));
      running--;
      return n;
    });
    expect(out).toEqual([1, 2, 3]);
    expect(most).toBe(1);
  });

  it('rejects the whole map when one call rejects', async () => {
    await expect(
      mapBounded([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error('item 2 failed');
        return n;
      }),
    ).rejects.toThrow('item 2 failed');
  });
});
