/**
 * Paths a run is writing (work folders, partial files), so that a process that must exit before its
 * normal clean-up ran (a cancel that outlasts the runner's patience) can still remove them.
 */
import { rmSync } from 'node:fs'

const tracked = new Set<string>()

export function trackPath(file: string): void {
  tracked.add(file)
}

export function untrackPath(file: string): void {
  tracked.delete(file)
}

/** Synchronous on purpose: called right before process.exit(). */
export function removeTrackedPathsSync(): void {
  for (const file of tracked) {
    try {
      rmSync(file, { recursive: true, force: true })
    } catch {
      // Best effort: the process is leaving.
    }
  }
  tracked.clear()
}
