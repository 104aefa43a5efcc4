/**
 * The Cloudflare Workers entry point (dist/worker.js, built by `npm run bundle`) in the real
 * workerd runtime through miniflare, state read from the S3 bucket over HTTP (STATE_URL).
 * miniflare 4 needs Node >= 22: under an older Node this suite is skipped, loudly.
 */
import { describe, test } from '@jest/globals'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { responderScenarios } from './support/responder-scenarios.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const major = Number(process.versions.node.split('.')[0])

if (major < 22) {
  describe('responder contract: cloudflare worker', () => {
    test.skip(`SKIPPED: miniflare (workerd) needs Node >= 22, this is Node ${process.versions.node}; run under Node 24 (.ci/run does)`, () => undefined)
  })
  process.stderr.write(`responder-worker.test.ts: skipped, miniflare needs Node >= 22 (running ${process.versions.node})\n`)
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
}
