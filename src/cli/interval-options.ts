/**
 * `--ci LEVEL [--bootstrap B] [--seed S]`: the confidence intervals of eval, merge and demo (issue 15).
 *
 * @module
 */
import { InputError } from '../core/errors.js';
import { MAX_RESAMPLES, MAX_SEED } from '../core/limits.js';
import type { IntervalOptions } from '../stats/bootstrap.js';
import { type CliValues, UsageError } from './usage.js';

/** `--ci LEVEL`: a fraction in (0, 1) such as 0.95, or a percentage in (0, 100) with its sign, such as 95%. */
export function ciLevel(values: CliValues): number {
  const v = String(values.ci);
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(%?)\s*$/.exec(v);
  const level = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (level > 0 && level < 1) return level;
  const hint = m && !m[2] && Number(m[1]) >= 50 && Number(m[1]) < 100 ? ` (did you mean ${m[1]}%?)` : '';
  throw new UsageError(
    `--ci must be a confidence level in (0, 1) such as 0.95, or a percentage such as 95%, ` + `got '${v}'${hint}`,
  );
}

/** An integer option in [min, max], or a usage error naming the flag and the value. */
function integerIn(values: CliValues, name: string, min: number, max: number): number {
  const v = String(values[name]);
  const n = Number(v);
  if (/^\s*\d+\s*$/.test(v) && Number.isSafeInteger(n) && n >= min && n <= max) return n;
  throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got '${v}'`);
}

/** `--bootstrap B`: resamples, 2..1,000,000. */
export const bootstrapResamples = (values: CliValues): number => integerIn(values, 'bootstrap', 2, MAX_RESAMPLES);

/** `--seed S` of eval and merge: an integer 0..2^53-1 (demo's, the data's seed, is 1..2^32-1). */
export const seedOption = (values: CliValues): number => integerIn(values, 'seed', 0, MAX_SEED);

/**
 * The interval options of the command line, or undefined without --ci; --bootstrap (or, but for demo, --seed)
 * without --ci is a usage error. `seed` is demo's default (its data's seed).
 */
export function intervalOptions(values: CliValues, seed = 0): IntervalOptions | undefined {
  const alone = (['bootstrap', ...(seed === 0 ? ['seed'] : [])] as const).find((n) => values[n] !== undefined);
  if (values.ci === undefined) {
    if (alone) throw new UsageError(`--${alone} sets how --ci draws its intervals: it needs --ci LEVEL (e.g. 0.95)`);
    return undefined;
  }
  const resamples = values.bootstrap === undefined ? 1000 : bootstrapResamples(values);
  return { level: ciLevel(values), resamples, seed: values.seed === undefined ? seed : seedOption(values) };
}

/** Refuses --ci with sample weights (the command line's --sample-weight); every mode has intervals. */
export function checkIntervalMode(values: CliValues): void {
  if (values.ci !== undefined && values['sample-weight'] !== undefined) throw weightedRefusal('--sample-weight');
}

/** The refusal of intervals of counts that are sums of sample weights (`where`: the flag or the parts). */
export function weightedRefusal(where: string): InputError {
  const why = 'the multinomial bootstrap resamples rows of weight 1; counts with sample weights are sums of weights';
  return new InputError('sampleWeight', `--ci with ${where}: confidence intervals need unweighted counts (${why})`);
}
