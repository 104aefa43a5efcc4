/**
 * The order the zip's entries are written in. The main thread encrypts and hashes every byte in
 * order while the workers deflate ahead of it, so the order decides whether the two overlap. In
 * name order, a build's already-compressed files sit together (`img/`, `media/`, `fonts/`): the
 * workers idle through them while the main thread works alone, and at the end (`media/` after
 * `assets/`) it finishes on its own. Mixing the two kinds evenly, by bytes, keeps both busy to the
 * end. Measured on 2 cores (whole `live-update bundle` runs, medians of 7 and 5 alternating with the
 * name order): the 100 MiB bench build 1.94 -> 1.83 s and peak RSS 145 -> 130 MB; a 256 MB build,
 * 3/4 media, 2.09 -> 1.86 s and 200 -> 174 MB.
 *
 * Still reproducible: the order depends only on the names and sizes. Folders come first, so every
 * extractor meets a folder before what it holds.
 */
import { shouldDeflate } from './prepare.js'
import type { ZipSourceEntry } from './scan.js'

/** `entries` in name order (the scan's): the same entries in the order to write them. */
export function writeOrder(entries: readonly ZipSourceEntry[]): ZipSourceEntry[] {
  const folders: ZipSourceEntry[] = []
  const deflated: ZipSourceEntry[] = []
  const stored: ZipSourceEntry[] = []
  for (const entry of entries) {
    if (entry.isDirectory) folders.push(entry)
    else if (shouldDeflate(entry.name)) deflated.push(entry)
    else stored.push(entry)
  }
  const deflatedBytes = Math.max(1, sum(deflated))
  const storedBytes = Math.max(1, sum(stored))
  const order = folders
  let d = 0
  let s = 0
  let deflatedSoFar = 0
  let storedSoFar = 0
  // Next from whichever kind is behind its share of the bytes (cross-multiplied: no division).
  while (d < deflated.length || s < stored.length) {
    if (s === stored.length || (d < deflated.length && deflatedSoFar * storedBytes <= storedSoFar * deflatedBytes)) {
      deflatedSoFar += deflated[d].size
      order.push(deflated[d++])
    } else {
      storedSoFar += stored[s].size
      order.push(stored[s++])
    }
  }
  return order
}

function sum(entries: readonly ZipSourceEntry[]): number {
  let total = 0
  for (const entry of entries) total += entry.size
  return total
}
