import { InputError } from '../core/errors.js';
import { MAX_RESAMPLES, MAX_SEED } from '../core/limits.js';
import { multinomialSampler } from './binomial.js';
import { type Interval, percentileInterval } from './interval.js';
import { createRandom, type Random } from './random.js';

/** How intervals are drawn: the level, the number of resamples and the seed. */
export interface IntervalOptions {
  /** Confidence level in (0, 1), e.g. 0.95. */
  level: number;
  /** Bootstrap resamples. Default 1000. */
  resamples?: number;
  /** Seed of the resampling (integers 0..2^53-1). Default 0. */
  seed?: number;
}

/** What every interval report records of how it was drawn. */
export interface IntervalMethod {
  level: number;
  method: 'multinomial-bootstrap';
  resamples: number;
  seed: number;
}

export { MAX_RESAMPLES } from '../core/limits.js';

/** Checks `options` and fills the defaults; an InputError names the field. */
export function intervalMethod(options: IntervalOptions): IntervalMethod {
  const { level, resamples = 1000, seed = 0 } = options;
  if (typeof level !== 'number' || !(level > 0 && level < 1)) {
    throw new InputError('ci', `the confidence level must be a number in (0, 1), e.g. 0.95, got ${level}`, undefined,
      level);
  }
  if (!Number.isSafeInteger(resamples) || resamples < 2 || resamples > MAX_RESAMPLES) {
    throw new InputError('bootstrap', `the resamples must be an integer 2..${MAX_RESAMPLES}, got ${resamples}`,
      undefined, resamples);
  }
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new InputError('seed', `the seed must be an integer 0..2^53-1, got ${seed}`, undefined, seed);
  }
  return { level, method: 'multinomial-bootstrap', resamples, seed };
}

/** Refuses cells that are not exact counts (sums of sample weights): the bootstrap resamples rows of weight 1. */
export function checkCountCells(cells: ArrayLike<number>, weighted: boolean | undefined): void {
  const why = 'confidence intervals need unweighted counts (the multinomial bootstrap resamples rows of weight 1)';
  if (weighted) throw new InputError('sampleWeight', `${why}: counted with sample weights`);
  let total = 0;
  for (let i = 0; i < cells.length; i++) {
    const v = cells[i]!;
    if (!Number.isInteger(v) || v < 0) throw new InputError('counts', `${why}: cell ${i} holds ${v}`, i, v);
    total += v;
  }
  if (!Number.isSafeInteger(total)) throw new InputError('counts', `${why}: the total ${total} exceeds 2^53`);
}

/**
 * The row bootstrap of statistics of a table of counts, exactly in distribution and independent of the row count:
 * resampling N rows with replacement gives the cells a Multinomial(N, cells / N), so each of `method.resamples`
 * draws is one multinomial over `cells`. `statistic` writes `width` values of a drawn table into `out` (it may
 * draw more from `random`, in a fixed order). Returns the percentile interval of each statistic.
 */
export function bootstrapIntervals(cells: ArrayLike<number>, method: IntervalMethod, width: number,
  statistic: (drawn: Float64Array, out: Float64Array, random: Random) => void): Interval[] {
  return bootstrapColumns(cells, method, width, statistic).map((v) => percentileInterval(v, method.level));
}

/** The draws of {@link bootstrapIntervals}: one column of `method.resamples` values per statistic. */
export function bootstrapColumns(cells: ArrayLike<number>, method: IntervalMethod, width: number,
  statistic: (drawn: Float64Array, out: Float64Array, random: Random) => void): Float64Array[] {
  const random = createRandom(method.seed);
  const b = method.resamples;
  const columns = Array.from({ length: width }, () => new Float64Array(b));
  const drawn = new Float64Array(cells.length);
  const out = new Float64Array(width);
  const sample = multinomialSampler(cells);
  for (let r = 0; r < b; r++) {
    sample(random, drawn);
    statistic(drawn, out, random);
    for (let j = 0; j < width; j++) columns[j]![r] = out[j]!;
  }
  return columns;
}
