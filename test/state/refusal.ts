import { expect } from 'vitest';
import { InputError } from '../../src/index.js';

/** The InputError `fn` throws (failing the test when it throws none, or something else). */
export function refusal(fn: () => unknown): InputError {
  let error: unknown = new Error('expected a refusal');
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

/** A state as a JSON file would hold it. */
export const json = (s: object): Record<string, unknown> => JSON.parse(JSON.stringify(s)) as Record<string, unknown>;
