/**
 * Cancellation in core, in-process: publish() with a signal aborted as each stage starts (the
 * adapters abort it on SIGINT/SIGTERM). The folder store and a real webhook receiver stand in for
 * the outside world; test/cancel.test.ts does the same with the real action, S3 and signals.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { mkdir, readdir } from 'node:fs/promises'
import path from 'node:path'
import { CancelledError, isCancelled } from '../src/core/cancel.js'
import { createKeyPair } from '../src/core/keys.js'
import { publish, PublishFailure } from '../src/core/publish.js'
import { createRegistrar } from '../src/core/register/index.js'
import { createStore } from '../src/core/storage/index.js'
import type { PublishOptions } from '../src/core/types.js'
import { makeSmallApp, removeDir, tempDir } from './support/folders.js'
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js'

const keys = createKeyPair()
const SECRET = `whsec-${randomBytes(8).toString('hex')}`
let work: string
let receiver: WebhookReceiver
let runs = 0

beforeAll(async () => {
  work = await tempDir('live-update-cancel-core-')
  await makeSmallApp(path.join(work, 'www'))
  receiver = await startWebhookReceiver({ secret: SECRET })
})

afterAll(async () => {
  await receiver.close()
  await removeDir(work)
})

async function listAll(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name)
}

async function cancelAt(target: string, signalName = 'SIGINT') {
  const run = ++runs
  const storeDir = path.join(work, `store-${run}`)
  const temp = path.join(work, `temp-${run}`)
  await Promise.all([mkdir(storeDir), mkdir(temp)])
  const options: PublishOptions = {
    appId: 'com.example.cancel',
    version: `2.0.${run}`,
    channel: 'production',
    webDir: path.join(work, 'www'),
    privateKeyPem: keys.privateKeyPem,
    requireNotifyAppReady: true,
    objectKeyTemplate: '{appId}/{version}/{hash}.zip',
    verifyUpload: true,
    dryRun: false,
    tempDir: temp,
  }
  const controller = new AbortController()
  const before = receiver.requests.length
  const warnings: string[] = []
  const outcome = await publish(options, {
    store: createStore({ kind: 'dir', dir: storeDir }),
    registrar: createRegistrar(
      { kind: 'webhook', url: `${receiver.url}/hook`, secret: SECRET },
      { signal: controller.signal, sleep: async () => {} },
    ),
    logger: { info: () => {}, warn: (message) => void warnings.push(message), debug: () => {} },
    signal: controller.signal,
    runStage: async (name, work) => {
      if (name === target) controller.abort(new CancelledError(signalName))
      return work()
    },
  }).then(
    () => undefined,
    (error: unknown) => error,
  )
  return {
    outcome,
    stored: await listAll(storeDir),
    temp: await listAll(temp),
    requests: receiver.requests.length - before,
    warnings,
  }
}

describe('publish() with a cancelled signal', () => {
  it.each(['keys', 'bundle', 'lookup', 'upload', 'verify'])(
    'cancelled as %s starts: fails there, nothing stored, nothing sent, work folder gone',
    async (stage) => {
      const result = await cancelAt(stage)
      expect(result.outcome).toBeInstanceOf(PublishFailure)
      const failure = result.outcome as PublishFailure
      expect(failure.stage).toBe(stage)
      expect(isCancelled(failure.cause)).toBe(true)
      expect(failure.message).toBe(
        `cancelled (SIGINT): stopped during the ${stage} stage; nothing was registered, nothing uploaded was kept, the work folder was removed`,
      )
      expect({ stored: result.stored, temp: result.temp, requests: result.requests }).toEqual({
        stored: [],
        temp: [],
        requests: 0,
      })
    },
  )

  it('cancelled while register runs: the outcome is ambiguous, the upload is kept and the message says so', async () => {
    const result = await cancelAt('register', 'SIGTERM')
    const failure = result.outcome as PublishFailure
    expect(failure.stage).toBe('register')
    expect(failure.message).toMatch(
      /^cancelled \(SIGTERM\): stopped during the register stage; the registration outcome is unknown, the upload com\.example\.cancel\/2\.0\.\d+\/[0-9a-f]{16}\.zip was kept/,
    )
    expect(result.stored).toHaveLength(1)
    expect(result.temp).toEqual([])
    expect(result.warnings.some((message) => message.startsWith('Registration outcome unknown'))).toBe(true)
  })
})
