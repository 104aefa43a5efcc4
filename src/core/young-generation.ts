/**
 * Stops the young generation of this process's heaps from growing past a size. V8 doubles its
 * semi-spaces (to 16 MiB each on a 200 MiB build) once enough objects have survived collections,
 * which a long bundle reaches just by running longer: a 200 MiB build held ~17 MB more than a
 * 100 MiB one, all of it room for garbage (after a full collection, under 5 MB of the main
 * thread's heap is live). Node fixes the size limits at start-up, but V8 reads the growth factor at
 * each resize, so it is set to 1 once the young generation has reached the size. From the start, it
 * would hold the young generation at 1 MiB and cost ~5 %; at 8 MiB semi-spaces (what a 100 MiB
 * bundle reaches by itself), it costs nothing measurable. The flag is process-wide: the deflate
 * workers have a lower cap of their own anyway (zip/deflate-pool.ts), and the process is always
 * ours (the CLI or the action: the package exports no library that could run inside someone else's
 * process).
 */
import v8 from 'node:v8'

/** Both semi-spaces (V8's `new_space` size): two of 8 MiB. */
export const YOUNG_GENERATION_BYTES = 16 * 1024 * 1024

let held = false

/**
 * Call now and then (each MiB written): once the young generation is `limit` bytes or more, it grows
 * no further for the rest of the process. A few microseconds a call; nothing after it applied.
 */
export function holdYoungGeneration(limit: number = YOUNG_GENERATION_BYTES): void {
  if (held) return
  const newSpace = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')
  if (!newSpace || newSpace.space_size < limit) return
  v8.setFlagsFromString('--semi-space-growth-factor=1')
  held = true
}
