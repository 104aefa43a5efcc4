/**
 * Deflate workers started before the rest of the program has loaded. A worker takes ~100 ms to
 * start (Node's own modules, then ours); started when the scan first sees 2 MiB, that start-up comes
 * after the CLI's module loading, key parsing and the scan, and the first batch waits for it (on a
 * cached run, a quarter of the time). Started first thing, it overlaps all of them. The bundle
 * takes them if it needs workers for the same cache folder; otherwise they are closed unused.
 */
import os from 'node:os'
import { DeflatePool } from './deflate-pool.js'

let early: { pool: DeflatePool; cacheDir: string | undefined } | undefined

/** Start one deflate worker per core now (nothing on one core), for a bundle with this cache folder. */
export function startDeflateWorkersEarly(cacheDir: string | undefined): void {
  const cores = os.availableParallelism()
  if (!early && cores > 1) early = { pool: new DeflatePool(cores, { cacheDir }), cacheDir }
}

/** The early workers, if they were started for this cache folder; they are the caller's to close. */
export function adoptEarlyDeflateWorkers(cacheDir: string | undefined): DeflatePool | undefined {
  const taken = early
  early = undefined
  if (!taken) return undefined
  if (taken.cacheDir === cacheDir) return taken.pool
  void taken.pool.close()
  return undefined
}

/** Close early workers nobody took (a small bundle, a failure before bundling). */
export async function closeEarlyDeflateWorkers(): Promise<void> {
  const taken = early
  early = undefined
  await taken?.pool.close()
}
