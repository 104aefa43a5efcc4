/**
 * The Cloudflare Workers entry point (dist/worker.js, built by `npm run bundle`) in the real
 * workerd runtime through miniflare, state read from the S3 bucket over HTTP (STATE_URL).
 * miniflare 4 needs Node >= 22: under an older Node this suite is skipped, loudly.
 */
import { describe, expect, test } from '@jest/globals'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { androidInfo, APP_ID, post } from './support/device-requests.js'
import { fakePointer } from './support/responder-state.js'
import { responderScenarios } from './support/responder-scenarios.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const major = Number(process.versions.node.split('.')[0])

if (major < 22) {
  describe('responder contract: cloudflare worker', () => {
    test.skip(`SKIPPED: miniflare (workerd) needs Node >= 22, this is Node ${process.versions.node}; run under Node 24 (.ci/run does)`, () =>
      undefined)
  })
  process.stderr.write(
    `responder-worker.test.ts: skipped, miniflare needs Node >= 22 (running ${process.versions.node})\n`,
  )
} else {
  responderScenarios('cloudflare worker (dist/worker.js in workerd)', async (env) => {
    const { Miniflare } = await import('miniflare')
    const mf = new Miniflare({
      modules: true,
      scriptPath: path.join(root, 'dist/worker.js'),
      compatibilityDate: '2026-07-01',
      bindings: { ...env },
    })
    // Plain HTTP to workerd's own socket: what a device's request looks like on the wire.
    const origin = (await mf.ready).origin
    return {
      send: (target, init) => fetch(`${origin}${target}`, init as RequestInit),
      close: () => mf.dispose(),
    }
  })

  test('with an R2 binding named BUCKET (no STATE_URL), state is read from the bucket binding', async () => {
    const { Miniflare } = await import('miniflare')
    const mf = new Miniflare({
      modules: true,
      scriptPath: path.join(root, 'dist/worker.js'),
      compatibilityDate: '2026-07-01',
      r2Buckets: ['BUCKET'],
      bindings: { CACHE_TTL_SECONDS: '0' },
    })
    try {
      const r2 = (await mf.getR2Bucket('BUCKET')) as unknown as { put(key: string, value: string): Promise<unknown> }
      const stable = fakePointer(APP_ID, '3.1.0', 'https://cdn.example.com')
      await r2.put(
        `live-update/${APP_ID}/app.json`,
        JSON.stringify({ schema: 1, appId: APP_ID, defaultChannel: 'production', channels: ['production'] }),
      )
      await r2.put(
        `live-update/${APP_ID}/channels/production.json`,
        JSON.stringify({
          schema: 1,
          appId: APP_ID,
          channel: 'production',
          revision: 1,
          stable,
          rollout: null,
          history: [],
          operations: [],
        }),
      )
      const origin = (await mf.ready).origin
      const reply = await (await fetch(`${origin}/updates`, post(androidInfo()) as RequestInit)).json()
      expect(reply).toMatchObject({ version: '3.1.0', url: stable.url, session_key: stable.sessionKey })
      const unknown = await (
        await fetch(`${origin}/updates`, post(androidInfo({ app_id: 'com.example.none' })) as RequestInit)
      ).json()
      expect(unknown).toMatchObject({ error: 'app_not_found' })
    } finally {
      await mf.dispose()
    }
  })

  test('without STATE_URL or BUCKET every request says what to configure', async () => {
    const { Miniflare } = await import('miniflare')
    const mf = new Miniflare({
      modules: true,
      scriptPath: path.join(root, 'dist/worker.js'),
      compatibilityDate: '2026-07-01',
    })
    try {
      const response = await fetch(`${(await mf.ready).origin}/updates`, post(androidInfo()) as RequestInit)
      expect(response.status).toBe(500)
      expect(await response.json()).toMatchObject({
        error: 'responder_misconfigured',
        message: expect.stringContaining('STATE_URL'),
      })
    } finally {
      await mf.dispose()
    }
  })
}
