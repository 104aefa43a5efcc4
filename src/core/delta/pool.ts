/** Run `job` over `items` with at most `width` in flight; the first failure stops new work and is thrown. */
export async function mapPool<T, R>(
  items: T[],
  width: number,
  job: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  let failed = false
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++
      try {
        results[index] = await job(items[index], index)
      } catch (error) {
        failed = true
        throw error
      }
    }
  }
  const outcomes = await Promise.allSettled(Array.from({ length: Math.min(width, items.length) }, worker))
  const rejected = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected')
  if (rejected) throw rejected.reason
  return results
}
