/**
 * A cancelled run leaves nothing behind (issue 9 item 2). The bundled action (`node dist/index.js`,
 * rebuilt with `npm run bundle`) and the CLI run against the loopback S3 server and get SIGINT or
 * SIGTERM (what GitHub sends on cancel) in the build, bundle, upload, verify and register stages.
 * Then: the bucket's objects AND its in-progress multipart uploads are listed, the temp folders
 * (RUNNER_TEMP, TMPDIR) are read, the exit code, the summary and the time to exit are checked.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { DeleteObjectCommand } from '@aws-sdk/client-s3'
import { createKeyPair } from '../src/core/keys.js'
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js'
import { startHttpsFront, type HttpsFront } from './support/https-front.js'
import { makeSmallApp, removeDir, sourceLikeText, tempDir, writeTree } from './support/folders.js'
import { startAction, startBlackHole, startCli, type Interruptible } from './support/interrupt.js'
import {
  createTestBucket,
  createTestClient,
  listKeys,
  listUploads,
  removeTestBucket,
  s3TestConfig,
} from './support/s3.js'

const keys = createKeyPair()
const s3 = s3TestConfig()
const WEBHOOK_SECRET = `whsec-${randomBytes(16).toString('hex')}`
/** Exit within this long of the signal (GitHub's SIGTERM comes 7.5 s after SIGINT). */
const EXIT_WITHIN_MS = 5000

let work: string
let smallApp: string
let bigApp: string
let slowApp: string
let bucket: string
let proxy: FaultProxy
let hole: Awaited<ReturnType<typeof startBlackHole>>
let front: HttpsFront
const started: Interruptible[] = []

beforeAll(async () => {
  work = await tempDir('live-update-cancel-')
  smallApp = path.join(work, 'small')
  await makeSmallApp(path.join(smallApp, 'www'))
  // Above the 5 MiB part size: a multipart upload (stored media, quick to bundle).
  bigApp = path.join(work, 'big')
  await makeSmallApp(path.join(bigApp, 'www'), {
    'media/a.mp4': randomBytes(7 << 20),
    'media/b.mp4': randomBytes(7 << 20),
  })
  // Text to deflate: a bundle stage that lasts long enough to be interrupted.
  slowApp = path.join(work, 'slow')
  const chunks: Record<string, string> = {}
  for (let i = 0; i < 24; i++) chunks[`js/chunk-${i}.js`] = sourceLikeText(4 << 20, i + 1)
  await makeSmallApp(path.join(slowApp, 'www'), chunks)
  await writeFile(path.join(work, 'key.pem'), keys.privateKeyPem)
  bucket = await createTestBucket('cancel')
  proxy = await startFaultProxy({ upstream: s3.endpoint })
  hole = await startBlackHole()
  front = await startHttpsFront({ bucket })
}, 120000)

afterAll(async () => {
  for (const run of started) await run.cleanup()
  await hole?.close()
  await front?.close()
  await proxy?.close()
  if (bucket) await removeTestBucket(bucket)
  await removeDir(work)
})

function inputs(app: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    'working-directory': app,
    'app-id': 'com.example.cancel',
    path: 'www',
    version: `1.0.${started.length}`,
    'private-key': keys.privateKeyPem,
    storage: 's3',
    's3-bucket': bucket,
    's3-endpoint': proxy.endpoint,
    's3-force-path-style': 'true',
    's3-access-key-id': s3.accessKeyId,
    's3-secret-access-key': s3.secretAccessKey,
    's3-part-size-mib': '5',
    'public-url': front.urlTemplate,
    server: 'none',
    'pr-comment': 'never',
    ...overrides,
  }
}

async function action(app: string, overrides: Record<string, string> = {}): Promise<Interruptible> {
  const run = await startAction(inputs(app, overrides), front.childEnv({}) as Record<string, string>)
  started.push(run)
  return run
}

/** What must hold after every interrupted run. */
async function expectNothingLeft(
  run: Interruptible,
  outcome: { code: number | null; ms: number },
  stage: string,
  signal: string,
): Promise<void> {
  try {
    await checkNothingLeft(run, outcome, stage, signal)
  } catch (error) {
    // What the run printed is the first thing to read when this fails.
    ;(error as Error).message +=
      `\n--- stdout (end) ---\n${run.stdout().slice(-2500)}\n--- stderr (end) ---\n${run.stderr().slice(-1000)}`
    throw error
  }
}

async function checkNothingLeft(
  run: Interruptible,
  outcome: { code: number | null; ms: number },
  stage: string,
  signal: string,
): Promise<void> {
  expect({ exitedNonZero: outcome.code !== 0 && outcome.code !== null, code: outcome.code }).toEqual({
    exitedNonZero: true,
    code: 1,
  })
  expect(outcome.ms).toBeLessThan(EXIT_WITHIN_MS)
  expect(await listUploads(bucket)).toEqual([])
  expect(await listKeys(bucket)).toEqual([])
  expect(await run.leftovers()).toEqual([])
  const summary = await run.summary()
  expect(summary).toContain(`Failed at stage \`${stage}\``)
  expect(summary).toContain(`cancelled (${signal})`)
  expect(run.stdout()).toMatch(new RegExp(`^::error::${stage} failed: cancelled \\(${signal}\\)`, 'm'))
}

const atGroup = (run: Interruptible, stage: string) => () => run.stdout().includes(`::group::${stage}`)

describe('a cancelled action leaves nothing behind', () => {
  it('SIGINT during the build: its process group is ended, nothing runs after it', async () => {
    const pidFile = path.join(work, 'build.pid')
    const run = await action(smallApp, { 'build-command': `sleep 300 & echo $! > ${pidFile}; sleep 300` })
    await run.waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 'the build to start')
    const outcome = await run.interrupt('SIGINT')
    await expectNothingLeft(run, outcome, 'build', 'SIGINT')
    expect(run.stdout()).not.toContain('::group::bundle')
    const grandchild = Number(readFileSync(pidFile, 'utf8'))
    const stat = existsSync(`/proc/${grandchild}/stat`) ? readFileSync(`/proc/${grandchild}/stat`, 'utf8') : ''
    expect(stat === '' || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')).toBe(true)
  })

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s during the bundle: the partial bundle and spill files are removed',
    async (signal) => {
      const run = await action(slowApp)
      await run.waitUntil(atGroup(run, 'bundle'), 'the bundle stage')
      await new Promise((resolve) => setTimeout(resolve, 150))
      const outcome = await run.interrupt(signal)
      expect(run.stdout()).not.toContain('::group::upload')
      await expectNothingLeft(run, outcome, 'bundle', signal)
    },
  )

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s during a multipart upload: the upload is aborted and confirmed gone',
    async (signal) => {
      // The second part never gets an answer: the upload is in flight when the signal comes.
      proxy.setRules([{ match: 'UploadPart', nth: [2], fault: 'stall' }])
      const parts = proxy.seen.UploadPart ?? 0
      const run = await action(bigApp)
      await run.waitUntil(() => (proxy.seen.UploadPart ?? 0) >= parts + 2, 'parts in flight')
      expect(await listUploads(bucket)).toHaveLength(1)
      const outcome = await run.interrupt(signal)
      proxy.setRules([])
      await expectNothingLeft(run, outcome, 'upload', signal)
      expect(proxy.seen.AbortMultipartUpload ?? 0).toBeGreaterThan(0)
    },
  )

  it('SIGINT during verify: the unverified object is deleted and never registered', async () => {
    const before = hole.requests.length
    const run = await action(smallApp, {
      'public-url': `${hole.url}/{key}`,
      server: 'webhook',
      'webhook-url': `${hole.url}/hook`,
      'webhook-secret': WEBHOOK_SECRET,
    })
    // The channel record is read from the same public URL before the upload: wait for the bundle itself.
    const downloads = () => hole.requests.slice(before).filter((request) => request.url.endsWith('.zip'))
    await run.waitUntil(() => downloads().length > 0, 'the verify download')
    expect(await listKeys(bucket)).toHaveLength(1)
    const outcome = await run.interrupt('SIGINT')
    await expectNothingLeft(run, outcome, 'verify', 'SIGINT')
    expect(run.stdout()).toContain('Removed the uploaded object')
    expect(downloads().map((request) => request.method)).toEqual(['GET'])
  })

  it('SIGTERM during register: an ambiguous outcome, so the upload is kept and the summary says so', async () => {
    const before = hole.requests.length
    const run = await action(smallApp, {
      server: 'webhook',
      'webhook-url': `${hole.url}/hook`,
      'webhook-secret': WEBHOOK_SECRET,
      verify: 'false',
    })
    await run.waitUntil(
      () => hole.requests.slice(before).some((request) => request.method === 'POST'),
      'the webhook call',
    )
    const outcome = await run.interrupt('SIGTERM')
    expect(outcome.code).toBe(1)
    expect(outcome.ms).toBeLessThan(EXIT_WITHIN_MS)
    // The receiver may have acted on the call: as after any ambiguous failure, the object stays.
    const kept = await listKeys(bucket)
    expect(kept).toHaveLength(1)
    expect(await listUploads(bucket)).toEqual([])
    expect(await run.leftovers()).toEqual([])
    const summary = await run.summary()
    expect(summary).toContain('Failed at stage `register`')
    expect(summary).toContain(
      'cancelled (SIGTERM): stopped during the register stage; the registration outcome is unknown',
    )
    expect(run.stdout()).toContain('Registration outcome unknown; the uploaded object')
    await createTestClient().send(new DeleteObjectCommand({ Bucket: bucket, Key: kept[0] }))
  })
})

describe('a cancelled CLI leaves nothing behind', () => {
  it('live-update bundle, SIGINT: no --out file, no partial, no spill files; exit 130', async () => {
    const outDir = path.join(work, 'cli-out')
    await writeTree(outDir, { '.keep': '' })
    const out = path.join(outDir, 'bundle.zip')
    const run = await startCli(
      ['bundle', 'www', '--private-key', path.join(work, 'key.pem'), '--version', '1.0.0', '--out', out],
      slowApp,
    )
    started.push(run)
    await run.waitUntil(
      async () => (await readdir(outDir)).some((name) => name.includes('.partial')),
      'the partial bundle file',
    )
    const outcome = await run.interrupt('SIGINT')
    expect({ code: outcome.code, stderr: run.stderr() }).toEqual({
      code: 130,
      stderr: expect.stringContaining('[run_cancelled_by_signal]'),
    })
    expect(outcome.ms).toBeLessThan(EXIT_WITHIN_MS)
    expect(run.stderr()).toContain('live-update: error [run_cancelled_by_signal]: cancelled (SIGINT)')
    expect(await readdir(outDir)).toEqual(['.keep'])
    expect(await run.leftovers()).toEqual([])
  })

  it('live-update publish, SIGTERM during the upload: aborted, nothing in the bucket or TMPDIR; exit 143', async () => {
    proxy.setRules([{ match: 'UploadPart', nth: [2], fault: 'stall' }])
    const parts = proxy.seen.UploadPart ?? 0
    const flags = Object.entries(
      inputs(bigApp, {
        'private-key': '',
        'private-key-file': path.join(work, 'key.pem'),
        'working-directory': bigApp,
      }),
    )
      // pr-comment is the action's alone: the CLI refuses it.
      .filter(([name, value]) => value !== '' && name !== 'pr-comment')
      .flatMap(([name, value]) => [`--${name}`, value])
    const run = await startCli(['publish', ...flags], work)
    started.push(run)
    let outcome: Awaited<ReturnType<typeof run.interrupt>>
    try {
      await run.waitUntil(() => (proxy.seen.UploadPart ?? 0) >= parts + 2, 'parts in flight')
      outcome = await run.interrupt('SIGTERM')
    } finally {
      proxy.setRules([])
    }
    expect(outcome.code).toBe(143)
    expect(outcome.ms).toBeLessThan(EXIT_WITHIN_MS)
    expect(run.stderr()).toContain(
      'live-update: error [run_cancelled_by_signal]: cancelled (SIGTERM): stopped during the upload stage',
    )
    expect(await listUploads(bucket)).toEqual([])
    expect(await listKeys(bucket)).toEqual([])
    expect(await run.leftovers()).toEqual([])
  })
})

// Guards against a vacuous pass: an uninterrupted run of the same set-up does publish.
it('the same set-up, not interrupted, publishes (so the tests above interrupt real work)', async () => {
  const run = await action(bigApp)
  expect({
    code: await run.exited,
    out: run
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('::error')),
  }).toEqual({ code: 0, out: [] })
  const keys = await listKeys(bucket)
  // One bundle, and the release records written after it (record, version index, channel, app).
  const bundles = keys.filter((key) => key.endsWith('.zip'))
  expect(bundles).toHaveLength(1)
  expect(keys.sort()).toEqual(
    [
      `${bundles[0]}`,
      `${bundles[0]}.release.json`,
      'live-update/com.example.cancel/app.json',
      'live-update/com.example.cancel/channels/production.json',
      `live-update/com.example.cancel/releases/${bundles[0]!.split('/')[1]}.json`,
    ].sort(),
  )
  expect(await readFile(path.join(run.runnerTemp, 'summary'), 'utf8')).toContain(': uploaded, not registered')
  for (const key of keys) await createTestClient().send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
})
