/**
 * The bundled action (dist/index.js) run exactly as a GitHub runner runs it: a child process with
 * INPUT_* variables, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files and an event payload, against real
 * peers (the loopback S3 server behind an https front, the Capgo and GitHub API stand-ins, a
 * webhook receiver). Rebuild dist/ (`npm run bundle`) after changing src/.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createKeyPair } from '../src/core/keys.js'
import { commentMarker } from '../src/core/report.js'
import { startCapgoServer, type CapgoServer } from './support/capgo-server.js'
import { removeDir, tempDir } from './support/folders.js'
import { startGithubApi, type GithubApiStandIn } from './support/github-api.js'
import { startHttpsFront, type HttpsFront } from './support/https-front.js'
import { runAction, type ActionRun } from './support/run-action.js'
import {
  createTestBucket,
  listKeys,
  objectExists,
  objectSha256,
  readObject,
  removeTestBucket,
  s3TestConfig,
} from './support/s3.js'
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const APP = 'com.example.liveupdate'
const REPOSITORY = 'acme/app'
const keys = createKeyPair()
const s3 = s3TestConfig()
const CAPGO_KEY = `capgo-${randomBytes(12).toString('hex')}`
const GITHUB_TOKEN = `ghs_${randomBytes(18).toString('hex')}`
const WEBHOOK_SECRET = `whsec-${randomBytes(16).toString('hex')}`
const WRONG_S3_SECRET = `wrong-${randomBytes(12).toString('hex')}`
const PEM_LINES = keys.privateKeyPem.split('\n').filter((line) => line.length > 0)
/** Every value no log, output, summary or comment may show. */
const SECRETS = [
  keys.privateKeyPem,
  keys.privateKeyPem.trim(),
  ...PEM_LINES,
  s3.secretAccessKey,
  WRONG_S3_SECRET,
  CAPGO_KEY,
  GITHUB_TOKEN,
  WEBHOOK_SECRET,
]

let work: string
let app: string
let bucket: string
let front: HttpsFront
let capgo: CapgoServer
let githubApi: GithubApiStandIn
let receiver: WebhookReceiver

const pushTag = (tag: string) => ({
  name: 'push',
  ref: `refs/tags/${tag}`,
  payload: { ref: `refs/tags/${tag}`, repository: { name: 'app', owner: { login: 'acme' } } },
})
const pullRequest = (number: number) => ({
  name: 'pull_request',
  ref: `refs/pull/${number}/merge`,
  payload: {
    action: 'synchronize',
    number,
    pull_request: { number },
    repository: { name: 'app', owner: { login: 'acme' } },
  },
})

/** Inputs of a real publish: S3 through the https front, Capgo stand-in, the app copy. */
function publishInputs(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    'working-directory': app,
    'private-key': keys.privateKeyPem,
    storage: 's3',
    's3-bucket': bucket,
    's3-endpoint': s3.endpoint,
    's3-region': 'us-east-1',
    's3-force-path-style': 'true',
    's3-access-key-id': s3.accessKeyId,
    's3-secret-access-key': s3.secretAccessKey,
    'public-url': front.urlTemplate,
    server: 'capgo',
    'capgo-api-url': capgo.url,
    'capgo-api-key': CAPGO_KEY,
    'github-token': GITHUB_TOKEN,
    ...overrides,
  }
}

/** What the runner shows of stdout: `::add-mask::` commands are consumed, not printed. */
function maskCommands(run: ActionRun): string[] {
  return run.stdout
    .split('\n')
    .filter((line) => line.startsWith('::add-mask::'))
    .map((line) => unescapeCommand(line.slice('::add-mask::'.length)))
}

function unescapeCommand(data: string): string {
  return data.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}

/**
 * Runs dist/index.js and checks, for every run, that no secret shows anywhere: not in stdout
 * (besides the `::add-mask::` commands the runner consumes), stderr, the outputs, the summary,
 * nor in a PR comment; and that every secret input was registered for masking before anything
 * else was printed (the PEM as a whole and line by line).
 */
async function act(options: Parameters<typeof runAction>[0]): Promise<ActionRun> {
  const run = await runAction({
    ...options,
    env: { ...front.childEnv({}), GITHUB_API_URL: githubApi.url, ...options.env } as Record<string, string>,
  })
  const shown = [
    run.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n'),
    run.stderr,
    JSON.stringify(run.outputs),
    run.summary,
    ...githubApi.comments.map((comment) => comment.body),
  ].join('\n')
  for (const secret of SECRETS) {
    if (shown.includes(secret)) {
      const where = shown.split('\n').find((line) => line.includes(secret.split('\n')[0])) ?? ''
      throw new Error(
        `A secret (${JSON.stringify(secret.slice(0, 12))}…) leaked into what the run shows, e.g. in: ${where.slice(0, 300)}`,
      )
    }
  }
  const masks = maskCommands(run)
  const lines = run.stdout.split('\n')
  const firstOther = lines.findIndex((line) => line.length > 0 && !line.startsWith('::add-mask::'))
  const earlyMasks = new Set(
    lines
      .slice(0, firstOther < 0 ? lines.length : firstOther)
      .filter((line) => line.startsWith('::add-mask::'))
      .map((line) => unescapeCommand(line.slice(12))),
  )
  const inputSecrets = ['private-key', 's3-secret-access-key', 'capgo-api-key', 'github-token', 'webhook-secret']
    .map((name) => options.inputs[name])
    .filter(Boolean)
  for (const value of inputSecrets) {
    expect(earlyMasks.has(value.trim())).toBe(true)
    for (const line of value.split('\n').filter((text) => text.trim().length > 8))
      expect(earlyMasks.has(line.trim())).toBe(true)
  }
  if (options.inputs['private-key']) {
    // The BEGIN/END lines are masked too: a runner would show *** for any of them.
    for (const line of PEM_LINES) expect(masks).toContain(line)
  }
  return run
}

function errorLines(run: ActionRun): string[] {
  return run.stdout.split('\n').filter((line) => line.startsWith('::error'))
}

beforeAll(async () => {
  work = await tempDir('live-update-action-')
  app = path.join(work, 'app')
  await cp(path.join(repo, 'example'), app, {
    recursive: true,
    filter: (source) => !/[\\/](dist|node_modules)$/.test(source),
  })
  // Installed dependencies, as after `npm ci`: the native-compatibility check fingerprints them.
  await symlink(path.join(repo, 'node_modules'), path.join(app, 'node_modules'), 'dir')
  await promisify(execFile)(process.execPath, ['build.mjs'], { cwd: app })
  const configFile = path.join(app, 'capacitor.config.json')
  const config = JSON.parse(await readFile(configFile, 'utf8'))
  config.plugins.CapacitorUpdater.publicKey = keys.publicKeyPem
  await writeFile(configFile, JSON.stringify(config, null, 2))
  ;[bucket, capgo, githubApi, receiver] = await Promise.all([
    createTestBucket('action'),
    startCapgoServer({ keys: [{ key: CAPGO_KEY }], apps: [APP] }),
    startGithubApi({ token: GITHUB_TOKEN, repository: REPOSITORY }),
    startWebhookReceiver({ secret: WEBHOOK_SECRET }),
  ])
  front = await startHttpsFront({ bucket })
})

afterAll(async () => {
  await Promise.all([front?.close(), capgo?.close(), githubApi?.close(), receiver?.close()])
  if (bucket) await removeTestBucket(bucket).catch(() => undefined)
  await removeDir(work)
})

describe('the bundled action on a tag push', () => {
  it('publishes the version of the tag: outputs, Capgo registration, the object, the job summary', async () => {
    const run = await act({ inputs: publishInputs(), event: pushTag('v1.2.3') })
    expect({ code: run.code, errors: errorLines(run) }).toEqual({ code: 0, errors: [] })
    const out = run.outputs
    expect(out).toMatchObject({ status: 'published', version: '1.2.3', channel: 'production', 'app-id': APP })
    expect(out['object-key']).toMatch(/^com\.example\.liveupdate\/1\.2\.3\/[0-9a-f]{16}\.zip$/)
    expect(out['bundle-url']).toBe(`${front.origin}/${out['object-key']}`)
    expect(out.checksum).toMatch(/^[0-9a-f]{512}$/)
    expect(out.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(out['session-key']).toMatch(/^[A-Za-z0-9+/]+=*:[A-Za-z0-9+/]+=*$/)
    expect(out['key-id']).toBe(keys.publicKeyPem.split('\n')[1].slice(0, 20))
    const zipSize = Number(out['zip-size'])
    expect(zipSize).toBeGreaterThan(0)
    // AES-CBC with PKCS#7 padding: the next multiple of 16.
    expect(Number(out['encrypted-size'])).toBe((Math.floor(zipSize / 16) + 1) * 16)
    expect(out['file-count']).toBe('4')

    // Capgo: exactly one bundle, with exactly what the outputs say; the channel points at it.
    const posts = capgo.requests.filter((request) => request.method === 'POST' && request.path === '/bundle')
    expect(posts).toHaveLength(1)
    expect(posts[0].auth).toEqual({ header: 'authorization', known: true })
    expect(posts[0].body).toEqual({
      app_id: APP,
      version: '1.2.3',
      external_url: out['bundle-url'],
      checksum: out.checksum,
      session_key: out['session-key'],
      key_id: out['key-id'],
      signature: out.signature,
    })
    expect(capgo.bundlesOf(APP)).toHaveLength(1)
    const row = capgo.bundlesOf(APP)[0]
    expect(out['bundle-id']).toBe(String(row.id))
    expect(capgo.channel(APP, 'production')?.id).toBe(row.id)
    expect(row.link).toBe('https://github.com/acme/app/actions/runs/4242')

    // The object is in the bucket, with the encrypted size; the device-like check read it through the front.
    expect(await objectExists(bucket, out['object-key'])).toBe(true)
    expect((await objectSha256(bucket, out['object-key'])).size).toBe(Number(out['encrypted-size']))
    // The bundle and, beside it, its release record.
    expect(await listKeys(bucket, `${APP}/1.2.3/`)).toEqual([out['object-key'], `${out['object-key']}.release.json`])
    expect(front.requests).toContain(`/${out['object-key']}`)
    // Swift answers 501 to If-None-Match: the store recognised the command (by the SDK's middleware
    // context, in the minified-name bundle) and fell back to its existence check.
    expect(run.stdout).toContain('does not support conditional writes (If-None-Match); relying on the existence check')

    // The job summary: the verdict in the heading, then app, version, channel, sizes, time per stage.
    expect(run.summary.split('\n')[0]).toBe(`### ✅ ${APP} 1.2.3 → production: published`)
    expect(run.summary).toContain('Uploaded, downloaded and checked as a device would, registered with capgo')
    expect(run.summary).toContain('| App | Version | Channel | Storage | Update server |')
    expect(run.summary).toContain(
      `| \`${APP}\` | \`1.2.3\` | \`production\` | \`s3://${bucket} (${s3.endpoint})\` | \`capgo\` |`,
    )
    expect(run.summary).toContain(`Bundle URL: \`${out['bundle-url']}\``)
    expect(run.summary).toMatch(/^Zip \d+(\.\d)? (B|KiB) · 4 files, \d+(\.\d)? (B|KiB) unpacked/m)
    expect(run.summary).toContain(`| Checksum (signed) | \`${out.checksum}\` |`)
    expect(run.summary).toContain('Time per stage')
    for (const stage of ['keys', 'bundle', 'lookup', 'upload', 'verify', 'register'])
      expect(run.summary).toMatch(new RegExp(`\\| ${stage} \\| \\d+(\\.\\d)? m?s \\|`))
    // A push event comments nowhere.
    expect(githubApi.requests).toEqual([])
  })

  it('a matrix of two channels at once: both green, one bundle, both channels on it, one object', async () => {
    const before = capgo.bundlesOf(APP).length
    const [production, beta] = await Promise.all([
      act({ inputs: publishInputs({ channel: 'production' }), event: pushTag('v2.0.0') }),
      act({ inputs: publishInputs({ channel: 'beta' }), event: pushTag('v2.0.0') }),
    ])
    expect([production.code, beta.code]).toEqual([0, 0])
    expect([production.outputs.status, beta.outputs.status].sort()).toEqual(['already-published', 'published'])
    expect(production.outputs.checksum).toBe(beta.outputs.checksum)
    const rows = capgo.bundlesOf(APP).filter((row) => row.name === '2.0.0')
    expect(rows).toHaveLength(1)
    expect(capgo.bundlesOf(APP)).toHaveLength(before + 1)
    expect(capgo.channel(APP, 'production')?.id).toBe(rows[0].id)
    expect(capgo.channel(APP, 'beta')?.id).toBe(rows[0].id)
    const objects = (await listKeys(bucket, `${APP}/2.0.0/`)).filter((key) => !key.endsWith('.release.json'))
    expect(objects).toHaveLength(1)
    expect(rows[0].external_url).toBe(`${front.origin}/${objects[0]}`)
    for (const run of [production, beta]) expect(run.outputs['bundle-url']).toBe(rows[0].external_url)
    // Both legs moved their channel record; the one release record lists both channels.
    for (const run of [production, beta])
      expect(run.outputs).toMatchObject({ mode: 'publish', 'stable-version': '2.0.0' })
    const release = JSON.parse((await readObject(bucket, `${objects[0]}.release.json`)).toString('utf8')) as {
      channels: string[]
    }
    expect(release.channels.sort()).toEqual(['beta', 'production'])
    for (const channel of ['production', 'beta']) {
      const record = JSON.parse(
        (await readObject(bucket, `live-update/${APP}/channels/${channel}.json`)).toString('utf8'),
      ) as { stable: { version: string; url: string } }
      expect(record.stable).toMatchObject({ version: '2.0.0', url: rows[0].external_url })
    }
  })
})

describe('the bundled action on a pull request (dry run)', () => {
  const marker = commentMarker(APP, 'production')
  const prInputs = (overrides: Record<string, string> = {}) => {
    const inputs = publishInputs({
      'dry-run': 'true',
      version: '0.0.1-pr.7',
      'build-command': 'node build.mjs',
      ...overrides,
    })
    delete inputs['capgo-api-key']
    return inputs
  }

  it('bundles and verifies locally, uploads and registers nothing, and leaves one comment', async () => {
    const objects = await listKeys(bucket)
    const capgoCalls = capgo.requests.length
    const run = await act({ inputs: prInputs(), event: pullRequest(7) })
    expect({ code: run.code, errors: errorLines(run) }).toEqual({ code: 0, errors: [] })
    expect(run.outputs).toMatchObject({
      status: 'dry-run',
      version: '0.0.1-pr.7',
      channel: 'production',
      'app-id': APP,
      'object-key': '',
      'bundle-url': '',
      'bundle-id': '',
    })
    expect(run.outputs.checksum).toMatch(/^[0-9a-f]{512}$/)
    expect(run.stdout).toMatch(/^\[command\]\S*bash -c node build\.mjs$/m)
    expect(await listKeys(bucket)).toEqual(objects)
    expect(capgo.requests.length).toBe(capgoCalls)
    expect(run.summary.split('\n')[0]).toBe(`### 🧪 ${APP} 0.0.1-pr.7: dry run, would publish to \`production\``)
    expect(run.summary).toMatch(/\| build \| \d+(\.\d)? m?s \|/)

    const comments = githubApi.comments.filter((comment) => comment.issueNumber === 7)
    expect(comments).toHaveLength(1)
    expect(comments[0].body.startsWith(`${marker}\n`)).toBe(true)
    expect(comments[0].body.trimEnd()).toBe(`${marker}\n${run.summary.trimEnd()}`)
    expect(githubApi.requests.filter((request) => request.method === 'POST')).toHaveLength(1)
  })

  it('a second run edits the same comment in place', async () => {
    // Its own pull request (#8): the first run creates the comment this test then sees edited.
    githubApi.comments.push({ id: 9001, issueNumber: 8, body: `${marker}\nstale` })
    const comment = githubApi.comments.find((item) => item.id === 9001)!
    const patches = githubApi.requests.filter((request) => request.method === 'PATCH').length
    const run = await act({ inputs: prInputs(), event: pullRequest(8) })
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Pull request #8: comment updated')
    expect(githubApi.comments.filter((item) => item.issueNumber === 8)).toHaveLength(1)
    expect(comment.body.trimEnd()).toBe(`${marker}\n${run.summary.trimEnd()}`)
    expect(githubApi.requests.filter((request) => request.method === 'PATCH')).toHaveLength(patches + 1)
    expect(githubApi.requests.at(-1)).toEqual({
      method: 'PATCH',
      path: `/repos/${REPOSITORY}/issues/comments/${comment.id}`,
    })
  })

  it('another channel (a matrix leg) gets its own comment; no storage inputs are needed', async () => {
    const inputs = prInputs({ channel: 'beta' })
    for (const name of [
      's3-bucket',
      's3-endpoint',
      's3-access-key-id',
      's3-secret-access-key',
      'public-url',
      'build-command',
    ])
      delete inputs[name]
    // Pull request #9 already holds the production leg's comment.
    githubApi.comments.push({ id: 9101, issueNumber: 9, body: `${marker}\nproduction leg` })
    const run = await act({ inputs, event: pullRequest(9) })
    expect({ code: run.code, errors: errorLines(run) }).toEqual({ code: 0, errors: [] })
    expect(run.outputs.status).toBe('dry-run')
    const comments = githubApi.comments.filter((comment) => comment.issueNumber === 9)
    expect(comments).toHaveLength(2)
    expect(comments.find((comment) => comment.id === 9101)?.body).toBe(`${marker}\nproduction leg`)
    const beta = comments.find((comment) => comment.body.includes(commentMarker(APP, 'beta')))!
    expect(beta.body).toContain('0.0.1-pr.7: dry run, would publish to `beta`')
    expect(comments.filter((comment) => comment.body.includes(marker))).toHaveLength(1)
  })

  it('with a read-only token the run stays green and warns about pull-requests: write', async () => {
    githubApi.readOnly = true
    try {
      const before = githubApi.comments.map((comment) => ({ ...comment }))
      const run = await act({ inputs: prInputs(), event: pullRequest(7) })
      expect({ code: run.code, errors: errorLines(run) }).toEqual({ code: 0, errors: [] })
      expect(run.outputs.status).toBe('dry-run')
      const warnings = run.stdout.split('\n').filter((line) => line.startsWith('::warning'))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/HTTP 403.*pull-requests: write/)
      expect(githubApi.comments).toEqual(before)
      expect(run.summary.split('\n')[0]).toBe(`### 🧪 ${APP} 0.0.1-pr.7: dry run, would publish to \`production\``)
    } finally {
      githubApi.readOnly = false
    }
  })
})

describe('release management through the action', () => {
  it('a 10 % rollout keeps the stable, then mode promote makes it stable (outputs say so)', async () => {
    // A channel of its own: its first release goes to everyone (nothing to roll out against).
    const first = await act({
      inputs: publishInputs({ channel: 'staged', 'rollout-percentage': '10' }),
      event: pushTag('v6.0.0'),
      env: { GITHUB_RUN_ID: '6000' },
    })
    expect(first.outputs).toMatchObject({ status: 'published', 'stable-version': '6.0.0', 'rollout-version': '' })
    await writeFile(
      path.join(app, 'dist', 'extra.js'),
      `console.log(${JSON.stringify(randomBytes(8).toString('hex'))})`,
    )
    const rolled = await act({
      inputs: publishInputs({ channel: 'staged', 'rollout-percentage': '10' }),
      event: pushTag('v6.1.0'),
      env: { GITHUB_RUN_ID: '6001' },
    }).finally(() => rm(path.join(app, 'dist', 'extra.js')))
    expect(rolled.code).toBe(0)
    expect(rolled.outputs).toMatchObject({
      status: 'published',
      mode: 'publish',
      'stable-version': '6.0.0',
      'rollout-version': '6.1.0',
      'rollout-percentage': '10',
    })
    expect(capgo.channel(APP, 'staged')?.name).toBe('6.0.0')
    expect(capgo.rollout(APP, 'staged')).toMatchObject({ bundle: { name: '6.1.0' }, percentage: 10 })
    expect(rolled.summary).toContain('rollout 6.1.0 to 10 % of devices')

    // Promote needs no key, web folder or version.
    const promote = { ...publishInputs({ mode: 'promote', channel: 'staged' }) }
    delete promote['private-key']
    const promoted = await act({
      inputs: promote,
      event: { name: 'workflow_dispatch', payload: {} },
      env: { GITHUB_RUN_ID: '6002' },
    })
    expect(promoted.code).toBe(0)
    expect(promoted.outputs).toEqual({
      mode: 'promote',
      changed: 'true',
      'stable-version': '6.1.0',
      'rollout-version': '',
      'rollout-percentage': '',
    })
    expect(capgo.channel(APP, 'staged')?.name).toBe('6.1.0')
    expect(promoted.summary.split('\n')[0]).toBe(`### ✅ ${APP} → staged: promoted`)
    expect(promoted.summary).toContain('**Channel `staged`**: stable 6.1.0; rollout none (stable before: 6.0.0).')
    const again = await act({
      inputs: promote,
      event: { name: 'workflow_dispatch', payload: {} },
      env: { GITHUB_RUN_ID: '6003' },
    })
    expect(again.outputs).toMatchObject({ mode: 'promote', changed: 'false', 'stable-version': '6.1.0' })
    expect(again.summary.split('\n')[0]).toBe(`### ✅ ${APP} → staged: promote: nothing to do`)
  })

  it('preview on a pull request publishes to pr-<number> with a join recipe in the comment; cleanup on close removes it all', async () => {
    const preview = await act({
      inputs: publishInputs({ preview: 'true' }),
      event: pullRequest(12),
      env: { GITHUB_RUN_NUMBER: '3', GITHUB_RUN_ID: '7001' },
    })
    expect(preview.code).toBe(0)
    expect(preview.outputs).toMatchObject({
      status: 'published',
      version: '1.0.0-pr.12.3',
      channel: 'pr-12',
      'stable-version': '1.0.0-pr.12.3',
    })
    expect(capgo.channel(APP, 'pr-12')?.name).toBe('1.0.0-pr.12.3')
    expect(capgo.channels.find((channel) => channel.name === 'pr-12')!.allow_device_self_set).toBe(true)
    const comment = githubApi.comments.find((entry) => entry.issueNumber === 12)!
    expect(comment.body).toContain("CapacitorUpdater.setChannel({ channel: 'pr-12'")
    expect(await listKeys(bucket, `${APP}/1.0.0-pr.12.3/`)).toHaveLength(2)

    const closed = {
      name: 'pull_request',
      ref: 'refs/pull/12/merge',
      payload: {
        action: 'closed',
        number: 12,
        pull_request: { number: 12 },
        repository: { name: 'app', owner: { login: 'acme' } },
      },
    }
    const cleanup = await act({
      inputs: publishInputs({ mode: 'cleanup' }),
      event: closed,
      env: { GITHUB_RUN_ID: '7002' },
    })
    expect(cleanup.code).toBe(0)
    expect(cleanup.outputs).toMatchObject({ mode: 'cleanup', changed: 'true' })
    expect(capgo.channels.find((channel) => channel.name === 'pr-12')).toBeUndefined()
    expect(capgo.bundlesOf(APP).map((row) => row.name)).not.toContain('1.0.0-pr.12.3')
    expect(await listKeys(bucket, `${APP}/1.0.0-pr.12.3/`)).toEqual([])
    expect(await listKeys(bucket, `live-update/${APP}/channels/pr-12`)).toEqual([])
    expect(await listKeys(bucket, `live-update/${APP}/releases/1.0.0-pr.12.3`)).toEqual([])
    const twice = await act({
      inputs: publishInputs({ mode: 'cleanup' }),
      event: closed,
      env: { GITHUB_RUN_ID: '7003' },
    })
    expect(twice.code).toBe(0)
    expect(twice.outputs).toMatchObject({ mode: 'cleanup', changed: 'false' })
  })
})

describe('failed runs', () => {
  it('a wrong S3 secret fails at the first storage access (the guard reads the channel record before any work): one error naming the input, nothing uploaded or registered', async () => {
    const bundles = capgo.bundlesOf(APP).length
    const run = await act({
      inputs: publishInputs({ 's3-secret-access-key': WRONG_S3_SECRET }),
      event: pushTag('v3.0.0'),
    })
    expect(run.code).not.toBe(0)
    const errors = errorLines(run)
    expect(errors).toHaveLength(1)
    // The first storage access is the records read before any work (its stage: wherever the guard runs).
    const stage = /^::error::(input|records) failed: .*SignatureDoesNotMatch.*'s3-secret-access-key'/.exec(
      errors[0]!,
    )?.[1]
    expect(stage).toBeDefined()
    expect(run.summary).toContain(`Failed at stage \`${stage}\``)
    expect(run.summary).toMatch(/Nothing was (uploaded or )?registered/)
    expect(run.summary.split('\n')[0]).toBe(`### ❌ ${APP} 3.0.0 → production: failed at stage ${stage}`)
    expect(run.summary).toContain(`| \`${APP}\` | \`3.0.0\` |`)
    expect(run.outputs).toEqual({})
    expect(capgo.bundlesOf(APP)).toHaveLength(bundles)
    expect(await listKeys(bucket, `${APP}/3.0.0/`)).toEqual([])
  })

  it.each([
    ['an invalid channel', { channel: 'bad channel!' }, 'channel'],
    ['a missing private key', { 'private-key': '' }, 'private-key'],
  ])('%s fails at stage input and names the input', async (_name, overrides, input) => {
    const capgoCalls = capgo.requests.length
    const run = await act({ inputs: publishInputs(overrides), event: pushTag('v4.0.0') })
    expect(run.code).not.toBe(0)
    const errors = errorLines(run)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(new RegExp(`^::error::input failed: .*'${input}'`))
    expect(run.summary).toContain('Failed at stage `input`')
    expect(run.summary).toContain(`'${input}'`)
    // The app id is still known (from capacitor.config); a value that is not known would show a dash.
    expect(run.summary).toMatch(new RegExp(`^\\| \`${APP.replace(/\./g, '\\.')}\` \\| `, 'm'))
    expect(run.outputs).toEqual({})
    expect(capgo.requests.length).toBe(capgoCalls)
  })
})

describe('webhook server', () => {
  it('publishes and delivers a signed document the receiver accepts', async () => {
    const inputs = publishInputs({ server: 'webhook', 'webhook-url': receiver.url, 'webhook-secret': WEBHOOK_SECRET })
    delete inputs['capgo-api-key']
    delete inputs['capgo-api-url']
    const run = await act({ inputs, event: pushTag('v5.0.0') })
    expect({ code: run.code, errors: errorLines(run) }).toEqual({ code: 0, errors: [] })
    expect(run.outputs).toMatchObject({ status: 'published', version: '5.0.0' })
    expect(receiver.requests.map((request) => request.status)).toEqual([200])
    expect(receiver.events.get(`${APP}@5.0.0`)).toMatchObject({
      event: 'bundle.published',
      channel: 'production',
      externalUrl: run.outputs['bundle-url'],
      checksum: run.outputs.checksum,
      sessionKey: run.outputs['session-key'],
    })
    expect(run.summary).toMatch(/ \| `webhook` \|$/m)
  })
})
