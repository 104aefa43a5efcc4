/**
 * Gathers what "what changed" compares: the new bundle's file list (name, size, sha256 of each file,
 * as a release record keeps it) and the channel's live release and recent sizes from the guard.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import type { NativeGuardResult } from '../native/guard.js'
import type { BundleResult } from '../types.js'
import { scanWebDir } from '../zip/scan.js'
import { type ChangesSummary, type RolloutState, summarizeChanges } from './changes.js'

export async function webDirFiles(webDir: string): Promise<{ name: string; size: number; sha256: string }[]> {
  const scanned = await scanWebDir(webDir)
  const files: { name: string; size: number; sha256: string }[] = []
  for (const entry of scanned.entries) {
    if (entry.isDirectory || !entry.file) continue
    const hash = createHash('sha256')
    for await (const chunk of createReadStream(entry.file)) hash.update(chunk as Buffer)
    files.push({ name: entry.name, size: entry.size, sha256: hash.digest('hex') })
  }
  return files
}

export async function collectChanges(args: { channel: string; webDir: string; bundle: BundleResult; guard: NativeGuardResult; rollout?: RolloutState }): Promise<ChangesSummary> {
  const { bundle, guard } = args
  const view = guard.channel
  const earlier = view ? [...(view.stable ? [view.stable] : []), ...view.history] : []
  return summarizeChanges({
    channel: args.channel,
    previous: guard.previous,
    current: { version: bundle.version, bundle: { zipSize: bundle.zipSize, rawSize: bundle.rawSize, fileCount: bundle.fileCount }, files: await webDirFiles(args.webDir) },
    native: guard.verdict,
    rollout: args.rollout,
    earlier: earlier.map((entry) => ({ version: entry.version, zipSize: entry.zipSize })),
  })
}
