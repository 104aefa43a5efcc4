/** The error `work` throws (fails the test when it returns normally), for toMatchObject checks. */
export function thrownBy(work: () => unknown): Record<string, unknown> {
  try {
    work()
  } catch (error) {
    return error as Record<string, unknown>
  }
  throw new Error('expected an error, but nothing was thrown')
}
