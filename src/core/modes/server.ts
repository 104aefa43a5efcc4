/**
 * What each `server` does for release modes beyond registering a bundle: report the channel as
 * the server sees it (Capgo is the truth for devices), promote, roll back, delete a channel.
 * Webhook receivers get a signed event; `none` does nothing; `self-hosted` serves the records
 * themselves, so the records update is the whole operation.
 */
import type { ReleasePointer } from '../records/schema.js'

export interface ServerChannelState {
  stable?: string
  rollout?: { version: string; percentage: number }
}

export interface ChannelEvent {
  appId: string
  channel: string
  release: ReleasePointer
  /** Stable version before the change. */
  from?: string
}

export interface DeleteChannelEvent {
  appId: string
  channel: string
  /** Versions only this channel used: the server deletes their registrations where it can. */
  versions: string[]
}

export interface ReleaseServer {
  readonly kind: 'capgo' | 'webhook' | 'none' | 'self-hosted'
  /** The channel as the server holds it; null: no such channel; undefined: the server cannot tell. */
  channelState(appId: string, channel: string): Promise<ServerChannelState | null | undefined>
  promote(event: ChannelEvent): Promise<void>
  rollback(event: ChannelEvent): Promise<void>
  /** Returns the versions whose registrations were deleted. */
  deleteChannel(event: DeleteChannelEvent): Promise<string[]>
}

/** `none` and `self-hosted`: nothing to tell anyone (self-hosted devices read the records). */
export function recordsOnlyServer(kind: 'none' | 'self-hosted'): ReleaseServer {
  return {
    kind,
    async channelState() {
      return undefined
    },
    async promote() {},
    async rollback() {},
    async deleteChannel() {
      return []
    },
  }
}
