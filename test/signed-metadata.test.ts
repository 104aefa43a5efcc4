/**
 * The signed metadata end to end: made in the bundle step, output, sent to Capgo (which stores it,
 * or ignores it, or refuses the field: registration goes through in all three), in the webhook
 * payload, and checked by `live-update verify --signature --version`. Verified with OpenSSL.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { outputsOf } from '../src/action/outputs.js'
import { verifyCommand } from '../src/cli/verify-command.js'
import { createKeyPair } from '../src/core/keys.js'
import { publish, type PublishDependencies } from '../src/core/publish.js'
import { createRegistrar } from '../src/core/register/index.js'
import { createStore } from '../src/core/storage/index.js'
import type { Logger, PublishOptions } from '../src/core/types.js'
import { startCapgoServer, type CapgoServer } from './support/capgo-server.js'
import { makeSmallApp, removeDir, tempDir } from './support/folders.js'
import { startHttpsFront, type HttpsFront } from './support/https-front.js'
import { openssl, opensslVerifyRecover } from './support/openssl.js'
import { createTestBucket, removeTestBucket, s3TestConfig } from './support/s3.js'
import { startWebhookReceiver } from './support/webhook-receiver.js'

const APP = 'com.example.signed'
const keys = createKeyPair()
let work: string
let bucket: string
let front: HttpsFront
let app: string
let publicKeyFile: string
const servers: CapgoServer[] = []

const logger: Logger & { lines: string[] } = {
  lines: [],
  info(message) {
    this.lines.push(message)
  },
  warn(message) {
    this.lines.push(`warn: ${message}`)
  },
  debug() {},
}

function deps(registrar: PublishDependencies['registrar']): PublishDependencies {
  const s3 = s3TestConfig()
  const store = createStore({
    kind: 's3',
    bucket,
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    publicUrlTemplate: front.urlTemplate,
    partSizeMiB: 5,
  })
  return { store, registrar, logger, fetch: front.fetch }
}

function options(version: string): PublishOptions {
  return {
    appId: APP,
    version,
    channel: 'production',
    webDir: app,
    privateKeyPem: keys.privateKeyPem,
    publicKeyPem: keys.publicKeyPem,
    requireNotifyAppReady: true,
    objectKeyTemplate: '{appId}/{version}/{hash}.zip',
    verifyUpload: true,
    dryRun: false,
    tempDir: work,
  }
}

async function capgo(signature: 'store' | 'ignore' | 'refuse') {
  const server = await startCapgoServer({ apps: [APP], signature })
  servers.push(server)
  return {
    server,
    registrar: createRegistrar(
      { kind: 'capgo', apiUrl: server.url, apiKey: 'test-key' },
      { sleep: async () => {}, timeoutMs: 5000, logger },
    ),
  }
}

/** OpenSSL alone: recover the signed digest and compare with SHA-256 of the payload text. */
async function opensslAccepts(signature: string, version: string, sha256: string): Promise<boolean> {
  const payload = path.join(work, `payload-${version}.txt`)
  await writeFile(payload, `capgo-bundle-v1\nversion:${version}\nchecksum:${sha256}\n`)
  const digest = await openssl(['dgst', '-sha256', '-binary', payload])
  const recovered = await opensslVerifyRecover(work, publicKeyFile, Buffer.from(signature, 'hex'))
  return recovered.equals(digest)
}

beforeAll(async () => {
  work = await tempDir('live-update-signed-')
  bucket = await createTestBucket('signed')
  front = await startHttpsFront({ bucket })
  app = await makeSmallApp(path.join(work, 'app'))
  publicKeyFile = path.join(work, 'key.pub')
  await writeFile(publicKeyFile, keys.publicKeyPem)
})

afterAll(async () => {
  for (const server of servers) await server.close()
  await front?.close()
  await removeTestBucket(bucket).catch(() => undefined)
  await removeDir(work)
})

describe('signed metadata', () => {
  it('is output, sent to Capgo and stored, and OpenSSL verifies it over version + zip sha256', async () => {
    const { server, registrar } = await capgo('store')
    const result = await publish(options('1.0.0'), deps(registrar))
    const signature = outputsOf(result).signature!
    expect(signature).toMatch(/^[0-9a-f]{512}$/)
    expect(signature).toBe(result.bundle.signature)
    expect(server.bundlesOf(APP)[0]!.signature).toBe(signature)
    expect(await opensslAccepts(signature, '1.0.0', result.bundle.sha256)).toBe(true)
    expect(await opensslAccepts(signature, '1.0.1', result.bundle.sha256)).toBe(false)
  })

  it('a Capgo that ignores the field registers as before; one that refuses it gets the bundle without it', async () => {
    const ignoring = await capgo('ignore')
    expect((await publish(options('2.0.0'), deps(ignoring.registrar))).status).toBe('published')
    expect(ignoring.server.bundlesOf(APP).map((row) => row.name)).toEqual(['2.0.0'])

    const refusing = await capgo('refuse')
    logger.lines.length = 0
    const result = await publish(options('2.0.0'), deps(refusing.registrar))
    expect(result.status).toBe('published')
    const posts = refusing.server.requests.filter((r) => r.method === 'POST' && r.path === '/bundle')
    expect(posts.map((r) => 'signature' in (r.body as object))).toEqual([true, false])
    expect(refusing.server.channel(APP, 'production')?.name).toBe('2.0.0')
    expect(logger.lines.some((line) => /warn: Capgo refused the signed metadata field/.test(line))).toBe(true)
  })

  it('is in the webhook payload', async () => {
    const receiver = await startWebhookReceiver({ secret: 'hook-secret' })
    try {
      const registrar = createRegistrar(
        { kind: 'webhook', url: receiver.url, secret: 'hook-secret' },
        { sleep: async () => {} },
      )
      const result = await publish(options('3.0.0'), deps(registrar))
      const payload = JSON.parse(receiver.requests[0]!.rawBody) as {
        signature: string
        version: string
        sha256: string
      }
      expect(payload.signature).toBe(result.bundle.signature)
      expect(await opensslAccepts(payload.signature, payload.version, payload.sha256)).toBe(true)
    } finally {
      await receiver.close()
    }
  })

  it('live-update verify --signature --version: ok for the right version, step "signature" for another', async () => {
    const { registrar } = await capgo('store')
    const result = await publish(options('4.0.0'), deps(registrar))
    const io = (out: string[], err: string[]) => ({
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => err.push(t) },
      env: {},
      cwd: work,
    })
    const args = (version: string) => [
      result.bundleUrl!,
      '--session-key',
      result.bundle.sessionKey,
      '--checksum',
      result.bundle.checksum,
      '--public-key',
      publicKeyFile,
      '--signature',
      result.bundle.signature,
      '--version',
      version,
      '--json',
    ]
    // The bundle URL is on the https front (self-signed): point verify's fetch at it.
    const saved = globalThis.fetch
    globalThis.fetch = front.fetch
    try {
      const out: string[] = []
      expect(await verifyCommand(args('4.0.0'), io(out, []))).toBe(0)
      expect(JSON.parse(out[0]!)).toMatchObject({ ok: true, signature: 'ok' })
      const bad: string[] = []
      const errors: string[] = []
      expect(await verifyCommand(args('4.0.1'), io(bad, errors))).toBe(4)
      expect(JSON.parse(bad[0]!)).toMatchObject({ ok: false, step: 'signature' })
      expect(errors.join('')).toMatch(/verify failed at step 'signature'/)
      await expect(verifyCommand(args('4.0.0').slice(0, -3).concat('--json'), io([], []))).rejects.toThrow(
        /--signature and --version go together/,
      )
    } finally {
      globalThis.fetch = saved
    }
  })
})
