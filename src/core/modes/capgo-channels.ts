/**
 * Capgo's side of the release modes, from Capgo's public API (supabase/functions/_backend/public):
 * - `GET /channel?app_id&channel`: `version: {name}`, `rollout_version_info: {name}`,
 *   `rolloutEnabled`, `rolloutPercentageBps`; 400 `cannot_find_version` when the channel is absent.
 * - `POST /channel {promoteToStable: true}`: the rollout becomes stable, the rollout is cleared.
 * - `POST /channel {version, rollback: true}`: stable set to `version`, any rollout cleared.
 * - `DELETE /channel {app_id, channel}` (400 `cannot_find_channel` when gone) and
 *   `DELETE /bundle {app_id, version}` (refused with `cannot_delete_linked_version` while a
 *   channel still uses it; `cannot_delete_version` when it is gone).
 * One call each, over the project's one HTTP client and its retry policy.
 */
import { capgoHttpClient } from '../register/capgo.js'
import { CapgoHttpApi } from '../register/capgo-api.js'
import { mapError, type CapgoCallContext, type CapgoEndpoint } from '../register/capgo-errors.js'
import { HttpFailure, type HttpCallOptions } from '../register/http.js'
import type { ReleaseServer, ServerChannelState } from './server.js'

export interface CapgoChannelOptions extends HttpCallOptions {
  apiUrl?: string
  apiKey: string
}

interface ChannelRow {
  version?: { name?: string } | null
  rollout_version_info?: { name?: string } | null
  rolloutEnabled?: boolean
  rolloutPercentageBps?: number
}

export function createCapgoReleaseServer(options: CapgoChannelOptions): ReleaseServer {
  const { client } = capgoHttpClient(options)
  const api = new CapgoHttpApi(client)
  const endpoint: CapgoEndpoint = { baseUrl: client.shownUrl, attempts: client.attempts }
  const context = (appId: string, channel: string, action: string, version?: string): CapgoCallContext => ({
    appId,
    channel,
    version,
    action,
    stage: 'release',
    bundleState: 'not-registered',
  })

  /** Run a call; the Capgo error codes in `tolerated` mean "already so" (a repeat) and answer undefined. */
  async function attempt<T>(
    ctx: CapgoCallContext,
    call: () => Promise<T>,
    tolerated: string[] = [],
  ): Promise<T | undefined> {
    try {
      return await call()
    } catch (error) {
      if (error instanceof HttpFailure && error.apiCode && tolerated.includes(error.apiCode)) return undefined
      throw mapError(error, ctx, endpoint)
    }
  }

  return {
    kind: 'capgo',

    async channelState(appId, channel): Promise<ServerChannelState | null> {
      const ctx = context(appId, channel, `read channel "${channel}"`)
      const answer = await attempt(
        ctx,
        () => client.call({ method: 'GET', path: '/channel', query: { app_id: appId, channel } }),
        ['cannot_find_version'],
      )
      if (!answer) return null
      const row = (answer.json ?? {}) as ChannelRow
      const state: ServerChannelState = {}
      if (row.version?.name && row.version.name !== 'unknown') state.stable = row.version.name
      if (row.rolloutEnabled && row.rollout_version_info?.name) {
        state.rollout = { version: row.rollout_version_info.name, percentage: (row.rolloutPercentageBps ?? 0) / 100 }
      }
      return state
    },

    async promote({ appId, channel }) {
      await attempt(context(appId, channel, `promote the rollout of channel "${channel}"`), () =>
        api.postChannel({ app_id: appId, channel, promoteToStable: true }),
      )
    },

    async rollback({ appId, channel, release }) {
      const ctx = context(appId, channel, `roll channel "${channel}" back to ${release.version}`, release.version)
      await attempt(ctx, () => api.postChannel({ app_id: appId, channel, version: release.version, rollback: true }))
    },

    async deleteChannel({ appId, channel, versions }) {
      await attempt(
        context(appId, channel, `delete channel "${channel}"`),
        () => api.deleteChannel({ app_id: appId, channel }),
        ['cannot_find_channel'],
      )
      const deleted: string[] = []
      for (const version of versions) {
        const ctx = context(appId, channel, `delete bundle ${version}`, version)
        try {
          await api.deleteBundle({ app_id: appId, version })
          deleted.push(version)
        } catch (error) {
          // Gone already (a re-run), or still used by another channel: keep it.
          if (error instanceof HttpFailure && error.apiCode === 'cannot_delete_version') continue
          if (error instanceof HttpFailure && error.apiCode === 'cannot_delete_linked_version') {
            options.logger?.warn(`Capgo: bundle ${version} is still used by another channel; kept.`)
            continue
          }
          throw mapError(error, ctx, endpoint)
        }
      }
      return deleted
    },
  }
}
