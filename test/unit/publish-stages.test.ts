/**
 * One failure per stage through publish(), with a fake store and registrar: the stage the failure
 * reports (the summary shows it) and its exit code (the CLI returns it) come from one table.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import path from 'node:path'
import { type ErrorCode, LiveUpdateError, type Stage } from '../../src/core/errors.js'
import { createKeyPair } from '../../src/core/keys.js'
import { publish, PublishFailure } from '../../src/core/publish.js'
import { RegistrationError } from '../../src/core/register/registration.js'
import type { BundleStore, PublishOptions, Registrar } from '../../src/core/types.js'
import { makeSmallApp, removeDir, tempDir } from '../support/folders.js'

const keys = createKeyPair()
let work: string
let app: string

beforeAll(async () => {
  work = await tempDir('live-update-stages-')
  app = path.join(work, 'www')
  await makeSmallApp(app)
})
afterAll(async () => {
  await removeDir(work)
})

function options(overrides: Partial<PublishOptions> = {}): PublishOptions {
  return {
    appId: 'com.example.stages',
    version: '1.0.0',
    channel: 'production',
    webDir: app,
    privateKeyPem: keys.privateKeyPem,
    requireNotifyAppReady: true,
    objectKeyTemplate: '{appId}/{version}/{hash}.zip',
    verifyUpload: true,
    dryRun: false,
    tempDir: work,
    ...overrides,
  }
}

interface Faults {
  lookup?: Error
  put?: Error
  size?: number
  register?: Error
}

function fakes(faults: Faults) {
  const deleted: string[] = []
  const store: BundleStore = {
    describe: () => 'fake store',
    exists: async () => false,
    put: async (key, body) => {
      if (faults.put) throw faults.put
      return { key, url: `https://cdn.example.com/${key}`, size: body.size }
    },
    publicUrl: (key) => `https://cdn.example.com/${key}`,
    size: async () => faults.size,
    delete: async (key) => void deleted.push(key),
    getJson: async () => undefined,
    putJson: async () => ({}),
    list: async () => [],
  }
  const registrar: Registrar = {
    kind: 'capgo',
    lookup: async () => {
      if (faults.lookup) throw faults.lookup
      return { found: false }
    },
    register: async () => {
      if (faults.register) throw faults.register
      return { status: 'registered' }
    },
    pointChannel: async () => {},
  }
  return { deleted, deps: { store, registrar, logger: { info() {}, warn() {}, debug() {} } } }
}

const refusal = (code: ErrorCode, stage: Stage) =>
  new RegistrationError(code, 'refused', { stage, bundleState: 'not-registered' })

describe('publish(): the stage a failure reports, and its exit code', () => {
  const cases: [string, Stage, number, ErrorCode, Partial<PublishOptions>, Faults][] = [
    ['a private key that is not PEM', 'keys', 3, 'keys_private_key_invalid', { privateKeyPem: 'not a key' }, {}],
    ['a web folder that does not exist', 'bundle', 3, 'bundle_folder_missing', { webDir: '/nonexistent/www' }, {}],
    [
      'an input mistake found by the registrar (no API key)',
      'input',
      3,
      'input_capgo_api_key_missing',
      {},
      { lookup: refusal('input_capgo_api_key_missing', 'input') },
    ],
    [
      'the update server refusing the look-up',
      'lookup',
      6,
      'capgo_api_key_invalid',
      {},
      { lookup: refusal('capgo_api_key_invalid', 'lookup') },
    ],
    [
      'storage refusing the upload',
      'upload',
      5,
      'storage_access_denied',
      {},
      { put: new LiveUpdateError('storage_access_denied', 'denied', { stage: 'upload' }) },
    ],
    ['a stored object of the wrong size', 'verify', 4, 'verify_size_mismatch', {}, { size: 1 }],
    [
      'the update server refusing the bundle',
      'register',
      6,
      'capgo_server_failed',
      { verifyUpload: false },
      { register: refusal('capgo_server_failed', 'register') },
    ],
  ]

  it.each(cases)('%s: stage %s, exit %d', async (_label, stage, exit, code, overrides, faults) => {
    const { deps, deleted } = fakes(faults)
    const failure = await publish(options(overrides), deps).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(PublishFailure)
    expect(failure).toMatchObject({ stage, exitCode: exit, cause: { code } })
    // The cause's own exit code agrees (the CLI reads that one).
    expect((failure as PublishFailure).cause).toMatchObject({ exitCode: exit })
    // Only an upload the server never took is removed.
    if (stage === 'verify' || stage === 'register') expect(deleted).toHaveLength(1)
    else expect(deleted).toEqual([])
  })
})
