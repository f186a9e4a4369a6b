import { expect } from 'vitest';
import type { Interval } from '../../src/stats/interval.js';

/** Both ends of `a` within a tenth of the reference interval `b`'s width (Monte Carlo error of two bootstraps). */
export function expectNearInterval(a: Interval, b: Interval, what: string): void {
  const tol = 0.1 * (b.high - b.low);
  expect(tol, what).toBeGreaterThan(0);
  expect(Math.abs(a.low - b.low), `${what} low`).toBeLessThan(tol);
  expect(Math.abs(a.high - b.high), `${what} high`).toBeLessThan(tol);
}
