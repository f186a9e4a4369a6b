import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/index.js';
import { chiSquare1Sf, mcnemar, mcnemarExactPValue } from '../../src/stats/mcnemar.js';

type Num = number | 'NaN' | 'Infinity';
interface Case {
  b: number;
  c: number;
  exactPValue: Num;
  scipyExactPValue: Num;
  referenceExactPValue?: number;
  statistic: Num;
  pValue: Num;
}
const expected = JSON.parse(readFileSync('test/fixtures/compare/expected.json', 'utf8')) as { mcnemar: Case;
  synthetic: Case[] };

/** `got` within `rel` of `want` relative (absolute below 1e-300). */
function close(got: number, want: number, rel: number, what: string): void {
  expect(Math.abs(got - want), `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(
    Math.max(rel * Math.abs(want), 1e-300),
  );
}

describe('McNemar against statsmodels', () => {
  for (const k of [expected.mcnemar, ...expected.synthetic]) {
    it(`b = ${k.b}, c = ${k.c}`, () => {
      const t = mcnemar(k.b, k.c);
      expect([t.b, t.c]).toEqual([k.b, k.c]);
      // statsmodels (scipy 1.10's binom.cdf) loses ~2e-8 relative at b + c = 1e9; the 40-digit reference does not
      close(t.exactPValue, k.exactPValue as number, k.b + k.c > 1e7 ? 1e-7 : 1e-11, 'exact p vs statsmodels');
      if (k.referenceExactPValue !== undefined) {
        close(t.exactPValue, k.referenceExactPValue, 1e-10, 'exact p vs the 40-digit reference');
      }
      if (k.b + k.c === 0) {
        // statsmodels divides 1 by 0 (statistic inf, p-value 0); confmat says no evidence: 0 and 1
        expect([k.statistic, k.pValue]).toEqual(['Infinity', 0]);
        expect([t.statistic, t.pValue, t.exactPValue]).toEqual([0, 1, 1]);
        return;
      }
      close(t.statistic, k.statistic as number, 1e-14, 'statistic');
      close(t.pValue, k.pValue as number, 1e-12, 'chi-square p');
    });
  }
});

describe('McNemar edge cases', () => {
  it('the exact p-value sums the binomial terms for small counts', () => {
    const binom = (n: number, k: number): number => {
      let r = 1;
      for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
      return r;
    };
    for (let n = 1; n <= 60; n++) {
      for (let k = 0; k <= n; k++) {
        let cdf = 0;
        for (let i = 0; i <= Math.min(k, n - k); i++) cdf += binom(n, i) / 2 ** n;
        close(mcnemarExactPValue(k, n - k), Math.min(1, 2 * cdf), 1e-12, `n ${n} k ${k}`);
      }
    }
  });

  it('is symmetric in b and c and monotone in the imbalance at b + c = 1e9', () => {
    let last = 1;
    for (const d of [0, 2, 20, 2000, 20000, 60000, 100000, 200000]) {
      const [b, c] = [5e8 - d / 2, 5e8 + d / 2];
      const p = mcnemarExactPValue(b, c);
      expect(p).toBe(mcnemarExactPValue(c, b));
      expect(p).toBeLessThanOrEqual(last);
      last = p;
    }
    expect(last).toBeGreaterThan(0);
  });

  it('chi-square survival with one degree of freedom', () => {
    close(chiSquare1Sf(3.841458820694124), 0.05, 1e-14, '95 %');
    close(chiSquare1Sf(1), 0.31731050786291115, 1e-14, 'x = 1');
    close(chiSquare1Sf(100), 1.5239706048320995e-23, 1e-12, 'x = 100');
    expect([chiSquare1Sf(0), chiSquare1Sf(Infinity)]).toEqual([1, 0]);
  });

  it('refuses counts that are not counts', () => {
    expect(() => mcnemar(-1, 3)).toThrow(InputError);
    expect(() => mcnemar(1.5, 3)).toThrow(/McNemar's b must be a count/);
  });
});
