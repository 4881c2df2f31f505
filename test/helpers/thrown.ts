// The error a call throws, for tests that assert its type and message.

/** The error `fn` throws; fails the test (throws) if it returns normally. */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}
