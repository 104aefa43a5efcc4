/**
 * The action's run() in-process, as the runner drives it: real INPUT_* variables, GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files, an event payload file, a loopback GitHub API stand-in, and the folder
 * store; stdout is captured to read the workflow commands (::error::, ::add-mask::, ::warning::).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { access, cp, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { run } from '../../src/action/main.js'
import { createKeyPair } from '../../src/core/keys.js'
import { INPUTS } from '../../src/core/inputs/index.js'
import { removeDir, tempDir } from '../support/folders.js'
import { startGithubApi, type GithubApiStandIn } from '../support/github-api.js'
import { parseOutputFile } from '../support/run-action.js'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const keys = createKeyPair()
const TOKEN = 'ghs_unit0123456789abcdef'
let work: string
let app: string
let githubApi: GithubApiStandIn
const saved = { ...process.env }

beforeAll(async () => {
  work = await tempDir('live-update-run-')
  app = path.join(work, 'app')
  await cp(path.join(repo, 'example'), app, {
    recursive: true,
    filter: (source) => !/[\\/](dist|node_modules)$/.test(source),
  })
  // Installed dependencies, as after `npm ci`: the native-compatibility check fingerprints them.
  await symlink(path.join(repo, 'node_modules'), path.join(app, 'node_modules'), 'dir')
  const configFile = path.join(app, 'capacitor.config.json')
  const config = JSON.parse(await readFile(configFile, 'utf8'))
  config.plugins.CapacitorUpdater.publicKey = keys.publicKeyPem
  await writeFile(configFile, JSON.stringify(config, null, 2))
  githubApi = await startGithubApi({ token: TOKEN, repository: 'acme/app' })
})

afterAll(async () => {
  await githubApi?.close()
  await removeDir(work)
})

afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
  Object.assign(process.env, saved)
  process.exitCode = undefined
})

interface Run {
  exitCode: number
  stdout: string
  outputs: Record<string, string>
  summary: string
  errors: string[]
  warnings: string[]
  masks: string[]
}

let runNumber = 0

/** run() with these inputs and event, as the runner would start it. */
async function act(
  inputs: Record<string, string>,
  event: { name: string; ref?: string; payload?: unknown } = { name: 'push' },
): Promise<Run> {
  const dir = path.join(work, `run-${++runNumber}`)
  await cp(path.join(work, 'app'), path.join(dir, 'app'), { recursive: true })
  const files = {
    output: path.join(dir, 'output'),
    summary: path.join(dir, 'summary'),
    event: path.join(dir, 'event.json'),
  }
  await writeFile(files.output, '')
  await writeFile(files.summary, '')
  await writeFile(files.event, JSON.stringify(event.payload ?? {}))
  for (const spec of INPUTS) delete process.env[`INPUT_${spec.name.toUpperCase()}`]
  Object.assign(process.env, {
    RUNNER_TEMP: dir,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_EVENT_NAME: event.name,
    GITHUB_REF: event.ref ?? 'refs/heads/main',
    GITHUB_SHA: 'f00dfeedbeefcafe0123456789abcdef01234567',
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_RUN_ID: '77',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: githubApi.url,
  })
  const all: Record<string, string> = {
    'working-directory': path.join(dir, 'app'),
    storage: 'dir',
    'storage-dir': path.join(dir, 'store'),
    server: 'none',
    'github-token': TOKEN,
    ...inputs,
  }
  for (const [name, value] of Object.entries(all)) process.env[`INPUT_${name.toUpperCase()}`] = value
  const chunks: string[] = []
  const write = process.stdout.write
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk))
    return true
  }) as typeof process.stdout.write
  const previousCwd = process.cwd()
  process.chdir(dir)
  try {
    await run()
  } finally {
    process.stdout.write = write
    process.chdir(previousCwd)
  }
  const stdout = chunks.join('')
  const lines = stdout.split('\n')
  return {
    exitCode: Number(process.exitCode ?? 0),
    stdout,
    outputs: parseOutputFile(await readFile(files.output, 'utf8')),
    summary: await readFile(files.summary, 'utf8'),
    errors: lines.filter((line) => line.startsWith('::error')),
    warnings: lines.filter((line) => line.startsWith('::warning')),
    masks: lines
      .filter((line) => line.startsWith('::add-mask::'))
      .map((line) => line.slice(12).replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')),
  }
}

const pushTag = (tag: string) => ({ name: 'push', ref: `refs/tags/${tag}`, payload: { ref: `refs/tags/${tag}` } })
const pullRequest = (number: number, head = 'acme/app') => ({
  name: 'pull_request',
  ref: `refs/pull/${number}/merge`,
  payload: {
    number,
    pull_request: { number, head: { repo: { full_name: head } } },
    repository: { name: 'app', owner: { login: 'acme' } },
  },
})

describe('run() in-process', () => {
  it('publishes a tag to the folder store: outputs, summary, the stored object; the key is masked line by line first', async () => {
    const result = await act(
      { 'private-key': keys.privateKeyPem, 'build-command': 'node build.mjs' },
      pushTag('v1.2.3'),
    )
    expect({ exitCode: result.exitCode, errors: result.errors }).toEqual({ exitCode: 0, errors: [] })
    expect(result.outputs).toMatchObject({
      status: 'published',
      version: '1.2.3',
      channel: 'production',
      'app-id': 'com.example.liveupdate',
    })
    expect(result.outputs['object-key']).toMatch(/^com\.example\.liveupdate\/1\.2\.3\/[0-9a-f]{16}\.zip$/)
    const store = path.join(path.dirname(result.outputs['bundle-url'].replace('file://', '')))
    expect(await readdir(store)).toEqual([
      path.basename(result.outputs['object-key']),
      `${path.basename(result.outputs['object-key'])}.release.json`,
    ])
    expect(result.summary).toContain('### 📦 com.example.liveupdate 1.2.3 → production: uploaded, not registered')
    for (const line of keys.privateKeyPem.split('\n').filter((text) => text.length > 8))
      expect(result.masks).toContain(line)
    // The masks come before anything else is printed.
    const firstOther = result.stdout.split('\n').findIndex((line) => line && !line.startsWith('::add-mask::'))
    expect(
      result.stdout
        .split('\n')
        .slice(firstOther)
        .some((line) => line.startsWith('::add-mask::-----BEGIN')),
    ).toBe(false)
    const printed = result.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n')
    expect(printed).not.toContain(keys.privateKeyPem.split('\n')[1])
  })

  it('version: v1.9.0 is accepted (the v dropped)', async () => {
    const result = await act({
      'private-key': keys.privateKeyPem,
      'build-command': 'node build.mjs',
      version: 'v1.9.0',
    })
    expect(result.outputs.version).toBe('1.9.0')
  })

  it('a tag that is not semver fails at input naming the tag, before the build runs', async () => {
    const marker = path.join(work, 'build-ran')
    const result = await act({ 'private-key': keys.privateKeyPem, 'build-command': `touch ${marker}` }, pushTag('v1.5'))
    expect(result.exitCode).toBe(1)
    expect(result.errors).toHaveLength(1)
    expect(result.errors[0]).toMatch(/^::error::input failed: The pushed tag 'v1\.5' .*'tag-prefix'.*'version'/)
    expect(
      await access(marker).then(
        () => true,
        () => false,
      ),
    ).toBe(false)
    expect(result.summary).toContain('Failed at stage `input`')
    expect(result.summary).toContain('https://github.com/acme/app/actions/runs/77')
    // The app is known from capacitor.config even though the inputs failed.
    expect(result.summary).toContain('com.example.liveupdate')
  })

  it('a bad object-key fails at input before the build (not at lookup after it)', async () => {
    const marker = path.join(work, 'build-ran-2')
    const result = await act(
      {
        'private-key': keys.privateKeyPem,
        'build-command': `touch ${marker}`,
        'object-key': '{appId}/{verison}/{hash}.zip',
      },
      pushTag('v2.0.0'),
    )
    expect(result.errors[0]).toMatch(/^::error::input failed: Unknown placeholder \{verison\}/)
    expect(
      await access(marker).then(
        () => true,
        () => false,
      ),
    ).toBe(false)
  })

  it('a fork pull request without a key: green, checked, says signing and upload were skipped, and comments', async () => {
    const result = await act(
      { 'private-key': '', 'build-command': 'node build.mjs', server: 'capgo' },
      pullRequest(12, 'stranger/app'),
    )
    expect({ exitCode: result.exitCode, errors: result.errors }).toEqual({ exitCode: 0, errors: [] })
    expect(result.outputs).toMatchObject({
      status: 'checked',
      'object-key': '',
      'bundle-url': '',
      checksum: '',
      'session-key': '',
      'key-id': '',
    })
    expect(Number(result.outputs['zip-size'])).toBeGreaterThan(0)
    expect(result.warnings.join('\n')).toMatch(
      /No private key: this is a pull request from the fork stranger\/app, which GitHub gives no secrets: only checking the build; signing and upload are skipped/,
    )
    expect(result.summary).toMatch(
      /checked only \(no private key\)\n\nNo private key on this pull request.*signing and upload were skipped/,
    )
    expect(result.summary).not.toContain('key_id')
    const comment = githubApi.comments.find((item) => item.issueNumber === 12)
    expect(comment?.body).toContain('checked only (no private key)')
  })

  it('a same-repository pull request without a key is checked too, with a hint to check the secret', async () => {
    const result = await act({ 'private-key': '', 'build-command': 'node build.mjs' }, pullRequest(13))
    expect({ exitCode: result.exitCode, status: result.outputs.status }).toEqual({ exitCode: 0, status: 'checked' })
    expect(result.warnings.join('\n')).toMatch(/otherwise check the secret given to private-key/)
  })

  it('a missing key on a push stays an error naming the secret', async () => {
    const result = await act({ 'private-key': '' }, pushTag('v3.0.0'))
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toMatch(
      /^::error::input failed: No private key: set 'private-key' .*LIVE_UPDATE_PRIVATE_KEY/,
    )
  })

  it('a CR-only key is masked line by line', async () => {
    const crKey = keys.privateKeyPem.replace(/\n/g, '\r')
    const result = await act({ 'private-key': crKey, 'build-command': 'node build.mjs', 'dry-run': 'true' })
    for (const line of keys.privateKeyPem.split('\n').filter((text) => text.length > 8))
      expect(result.masks).toContain(line)
  })

  it('a public-url with credentials is refused without quoting them', async () => {
    const result = await act(
      { 'private-key': keys.privateKeyPem, 'public-url': 'https://user:hunter2pw@cdn.example.com/{key}' },
      pushTag('v4.0.0'),
    )
    // A template that is otherwise valid: the refusal is the credentials check's, not an earlier one's.
    expect(result.errors[0]).toMatch(/^::error::input failed: 'public-url' must not contain credentials/)
    expect(result.stdout + result.summary).not.toContain('hunter2pw')
  })
})

describe('run() in-process: the release guard', () => {
  it("outputs the native fingerprint (the example's updater plugin), the signature, and empty diff outputs without records", async () => {
    const result = await act(
      { 'private-key': keys.privateKeyPem, 'build-command': 'node build.mjs' },
      pushTag('v1.2.4'),
    )
    expect({ exitCode: result.exitCode, errors: result.errors }).toEqual({ exitCode: 0, errors: [] })
    const fingerprint = JSON.parse(result.outputs['native-fingerprint']!) as {
      packages: { name: string; version: string; ios_checksum?: string }[]
    }
    expect(fingerprint.packages).toEqual([
      expect.objectContaining({
        name: '@capgo/capacitor-updater',
        version: '8.51.23',
        ios_checksum: expect.stringMatching(/^[0-9a-f]{64}$/),
      }),
    ])
    expect(result.outputs.signature).toMatch(/^[0-9a-f]{512}$/)
    expect(result.outputs).toMatchObject({ 'previous-version': '', 'size-delta': '' })
  })

  it('native-version above the version fails before any work, naming the input', async () => {
    const result = await act({ 'private-key': keys.privateKeyPem, 'native-version': '2.0.0' }, pushTag('v1.9.9'))
    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(
      /1\.9\.9 is below the app's native version 2\.0\.0 \(from 'native-version'\)/,
    )
    expect(result.outputs.status).toBeUndefined()
  })

  it('native-compatibility takes fail, accept or off only', async () => {
    const result = await act({ 'private-key': keys.privateKeyPem, 'native-compatibility': 'maybe' }, pushTag('v1.2.5'))
    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(/native-compatibility/)
  })
})
