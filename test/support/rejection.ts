/** The error `promise` rejects with, which must be a `type`; fails the test when it resolves or rejects otherwise. */
export async function rejectionOf<E extends Error>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  const outcome = await promise.then(
    () => ({ resolved: true as const }),
    (error: unknown) => ({ resolved: false as const, error }),
  );
  if (outcome.resolved) throw new Error(`expected a rejection with ${type.name}, but the promise resolved`);
  if (!(outcome.error instanceof type)) throw outcome.error;
  return outcome.error;
}
