/**
 * A queue that runs async operations one after another in call order, whether or not the caller
 * awaits them; a failed operation rejects its own promise and does not stop the ones after it.
 *
 * @example
 * const serial = createSerial();
 * serial(() => cm.update(a)); serial(() => cm.update(b)); // b starts after a settles
 */
export function createSerial(): <T>(op: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(op: () => Promise<T>): Promise<T> => {
    const run = tail.then(op, op);
    tail = run.catch(() => undefined);
    return run;
  };
}
