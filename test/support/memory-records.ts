/**
 * A channel's release records kept in memory, shaped as COMMON.md's schema, for the guard's
 * reader: after each publish the test writes what the records module writes (release record with
 * file list and fingerprint; channel stable, history, and the accepted native baseline).
 */
import type { ChannelView, ReleaseReader, ReleaseView } from '../../src/core/native/guard.js'
import type { PublishResult } from '../../src/core/types.js'

export class MemoryRecords implements ReleaseReader {
  readonly channels = new Map<string, ChannelView>()
  readonly releases = new Map<string, ReleaseView>()

  async readChannel(channel: string): Promise<ChannelView | undefined> {
    return this.channels.get(channel)
  }

  async readReleaseAt(key: string): Promise<ReleaseView | undefined> {
    return this.releases.get(key)
  }

  record(result: PublishResult): void {
    const key = `${result.objectKey ?? `${result.appId}/${result.version}`}.release.json`
    const { bundle } = result
    this.releases.set(key, {
      version: result.version,
      bundle: { zipSize: bundle.zipSize, rawSize: bundle.rawSize, fileCount: bundle.fileCount },
      files: bundle.files.map(({ name, size, sha256 }) => ({ name, size, sha256 })),
      native: result.native?.fingerprint ?? null,
    })
    const current = this.channels.get(result.channel) ?? { stable: null, rollout: null, history: [] }
    const pointer = { version: result.version, record: key, zipSize: bundle.zipSize }
    const history = current.stable ? [current.stable, ...current.history].slice(0, 20) : current.history
    const next: ChannelView = { ...current, stable: pointer, history }
    if (result.native?.baseline) {
      next.nativeBaseline = result.native.baseline.nativeBaseline
      if (result.native.baseline.nativeFloor) next.nativeFloor = result.native.baseline.nativeFloor
    }
    this.channels.set(result.channel, next)
  }
}
