import { chargedCostUsd } from '../../policy/step-cost';

describe('chargedCostUsd', () => {
  const prices = { 'config.set': 0.25, 'http.request': 2 };

  it('charges each step the greater of what it declares and its price, summed', () => {
    expect(
      chargedCostUsd(
        [
          { action: 'config.set' }, // 0.25: nothing declared
          { action: 'config.set', costUsd: 0.1 }, // 0.25: declared less
          { action: 'http.request', costUsd: 3 }, // 3: declared more
          { action: 'file.write', costUsd: 0.5 }, // 0.5: no price
        ],
        prices,
      ),
    ).toBe(4);
  });

  it('is the declared sum without prices, and never finds a price on Object.prototype', () => {
    expect(chargedCostUsd([{ action: 'config.set', costUsd: 1.5 }, { action: 'x.y' }], undefined)).toBe(1.5);
    expect(chargedCostUsd([{ action: 'constructor' }, { action: 'toString', costUsd: 1 }], prices)).toBe(1);
  });
});
