/**
 * Capgo's public REST API as typed calls over the one HTTP client: no policy here (what to call
 * when, how to read a refusal is CapgoRegistrar's and capgo-errors.ts's job). Field names are
 * Capgo's own (supabase/functions/_backend/public/{bundle,channel} in github.com/Cap-go/capgo);
 * docs/wire-format.md §5 describes them. Failures are HttpFailure / TransportFailure /
 * UnexpectedAnswer from http.ts.
 */
import { HttpFailure, type HttpJsonClient, UnexpectedAnswer } from './http.js'

export const CAPGO_API_URL = 'https://api.capgo.app'
/** Capgo's page size for `GET /bundle` (fetchLimit). */
export const CAPGO_PAGE_SIZE = 50

/** One row of `GET /bundle` (Capgo's app_versions table); only the fields we read are typed. */
export interface CapgoBundleRow {
  id: number | string
  name: string
  checksum?: string | null
  external_url?: string | null
  session_key?: string | null
  key_id?: string | null
  [field: string]: unknown
}

/** `POST /bundle` body for an externally hosted, encrypted bundle. */
export interface CapgoNewBundle {
  app_id: string
  version: string
  external_url: string
  checksum: string
  session_key: string
  key_id: string
  /** Signed metadata (capgo-bundle-v1); newer Capgo stores it in app_versions.signature. */
  signature?: string
}

/**
 * `POST /channel` body: creates the channel if needed, or updates it. Only the fields given are
 * changed; Capgo accepts more (public, ios, android, rolloutVersion, rolloutPercentage, rollback,
 * promoteToStable, ...), passed through as they are.
 */
export interface CapgoChannelSet {
  app_id: string
  channel: string
  /** Version name the channel serves; null detaches it. */
  version?: string | null
  [field: string]: unknown
}

/** `PUT /bundle` body: point a channel (by id) at a bundle (by id). */
export interface CapgoBundleToChannel {
  app_id: string
  version_id: number
  channel_id: number
  /** Newer backends: which of the channel's bundles moves (`auto` moves a running rollout's). */
  target?: 'auto' | 'stable' | 'rollout'
}

/** `POST /bundle/metadata` body. */
export interface CapgoBundleMetadata {
  app_id: string
  version_id: number
  link?: string
  comment?: string
}

/** `DELETE /channel` body; `delete_bundle` also removes the channel's own preview bundle. */
export interface CapgoChannelDelete {
  app_id: string
  channel: string
  delete_bundle?: boolean
}

/** `DELETE /bundle` body: one version, or (without `version`) every bundle not linked to a channel. */
export interface CapgoBundleDelete {
  app_id: string
  version?: string
}

export interface CapgoApi {
  /** `GET /bundle` pages, newest first; the iteration ends after the last page. Each page is retried. */
  listBundles(appId: string): AsyncIterable<CapgoBundleRow[]>
  /** `POST /bundle`, ONE attempt: it is not idempotent, the caller decides what a retry means. */
  postBundle(bundle: CapgoNewBundle): Promise<{ id?: string }>
  /** `POST /channel` (retried: it sets an absolute state). */
  postChannel(channel: CapgoChannelSet): Promise<unknown>
  /** `PUT /bundle` (retried). */
  putBundle(body: CapgoBundleToChannel): Promise<unknown>
  /** `POST /bundle/metadata` (retried). */
  postMetadata(metadata: CapgoBundleMetadata): Promise<unknown>
  /** `DELETE /channel` (retried; a repeat may answer cannot_find_channel). */
  deleteChannel(body: CapgoChannelDelete): Promise<unknown>
  /** `DELETE /bundle` (retried; a repeat may answer cannot_delete_version). */
  deleteBundle(body: CapgoBundleDelete): Promise<unknown>
}

export class CapgoHttpApi implements CapgoApi {
  constructor(private readonly client: HttpJsonClient) {}

  async *listBundles(appId: string): AsyncGenerator<CapgoBundleRow[]> {
    for (let page = 0; ; page++) {
      let rows: unknown
      try {
        const query = { app_id: appId, page: String(page) }
        rows = (await this.client.call({ method: 'GET', path: '/bundle', query })).json
      } catch (error) {
        // Capgo answers 400 cannot_get_bundle "Cannot get bundle" for an empty page (no bundle at all,
        // or a page past the end); "You can't access this app" under the same code is a refusal.
        const refusal = error instanceof HttpFailure && error.apiCode === 'cannot_get_bundle'
        if (refusal && !/access/i.test(error.apiMessage ?? '')) return
        throw error
      }
      if (!Array.isArray(rows)) throw new UnexpectedAnswer('GET', '/bundle', 'a list of bundles')
      yield rows.filter((row): row is CapgoBundleRow => Boolean(row) && typeof row === 'object')
      if (rows.length < CAPGO_PAGE_SIZE) return
    }
  }

  async postBundle(bundle: CapgoNewBundle): Promise<{ id?: string }> {
    const answer = (await this.client.send({ method: 'POST', path: '/bundle', json: bundle })).json as
      | { bundle?: { id?: unknown } }
      | undefined
    const id = answer?.bundle?.id
    return { id: id === undefined || id === null ? undefined : String(id) }
  }

  async postChannel(channel: CapgoChannelSet): Promise<unknown> {
    return (await this.client.call({ method: 'POST', path: '/channel', json: channel })).json
  }

  async putBundle(body: CapgoBundleToChannel): Promise<unknown> {
    return (await this.client.call({ method: 'PUT', path: '/bundle', json: body })).json
  }

  async postMetadata(metadata: CapgoBundleMetadata): Promise<unknown> {
    return (await this.client.call({ method: 'POST', path: '/bundle/metadata', json: metadata })).json
  }

  async deleteChannel(body: CapgoChannelDelete): Promise<unknown> {
    return (await this.client.call({ method: 'DELETE', path: '/channel', json: body })).json
  }

  async deleteBundle(body: CapgoBundleDelete): Promise<unknown> {
    return (await this.client.call({ method: 'DELETE', path: '/bundle', json: body })).json
  }
}
