/**
 * Every input check, in-process and without servers: one case per error code (stage input, the
 * field named), the precedence rules, and the checks that used to run late (after the build).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { resolveConfig, secretParts, type RunContext } from '../../src/core/config/index.js'
import { LiveUpdateError } from '../../src/core/errors.js'
import { renderFields, type InputName } from '../../src/core/inputs/index.js'
import { createKeyPair } from '../../src/core/keys.js'
import { makeSmallApp, removeDir, tempDir } from '../support/folders.js'

const keys = createKeyPair()
const other = createKeyPair()
let project: string

async function writeProject(dir: string, config: Record<string, unknown> = {}): Promise<string> {
  await mkdir(dir, { recursive: true })
  await makeSmallApp(path.join(dir, 'www'))
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.4.0' }))
  await writeFile(
    path.join(dir, 'capacitor.config.json'),
    JSON.stringify({
      appId: 'com.example.app',
      webDir: 'www',
      plugins: { CapacitorUpdater: { publicKey: keys.publicKeyPem } },
      ...config,
    }),
  )
  return dir
}

beforeAll(async () => {
  project = await writeProject(path.join(await tempDir('live-update-config-'), 'app'))
  await writeFile(path.join(project, 'key.pem'), keys.privateKeyPem)
})

afterAll(async () => {
  await removeDir(path.dirname(project))
})

const BASE: Partial<Record<InputName, string>> = {
  'private-key': keys.privateKeyPem,
  storage: 'dir',
  'storage-dir': '../store',
  server: 'none',
}

function resolve(inputs: Partial<Record<InputName, string>>, context: Partial<RunContext> = {}, base = BASE) {
  const all = { ...base, ...inputs }
  return resolveConfig((name) => all[name], { cwd: project, ...context })
}

async function failure(
  inputs: Partial<Record<InputName, string>>,
  context: Partial<RunContext> = {},
  base = BASE,
): Promise<LiveUpdateError> {
  const error = await resolve(inputs, context, base).then(
    () => undefined,
    (caught: unknown) => caught,
  )
  if (!(error instanceof LiveUpdateError)) throw new Error(`expected a LiveUpdateError, got ${String(error)}`)
  return error
}

describe('resolveConfig: every input error names its field, at stage input', () => {
  const cases: [string, Partial<Record<InputName, string>>, string, string, RegExp][] = [
    [
      'a working-directory that does not exist',
      { 'working-directory': 'nope' },
      'input_working_directory_missing',
      'working-directory',
      /is not a folder.*actions\/checkout/,
    ],
    ['an app id that is not reverse-domain', { 'app-id': 'myapp' }, 'input_app_id_invalid', 'app-id', /reverse-domain/],
    ['an app id like 1.2', { 'app-id': '1.2' }, 'input_app_id_invalid', 'app-id', /starts with a letter/],
    [
      'a version that is not semver',
      { version: '1.0' },
      'input_version_invalid',
      'version',
      /semantic version.*got '1\.0'/,
    ],
    ['version 0.0.0', { version: '0.0.0' }, 'input_version_invalid', 'version', /greater than 0\.0\.0/],
    ['a channel with a slash', { channel: 'feature/x' }, 'input_channel_invalid', 'channel', /letters, digits/],
    ['the channel ..', { channel: '..' }, 'input_channel_invalid', 'channel', /starting with a letter or digit/],
    ['a channel over 64 characters', { channel: 'c'.repeat(65) }, 'input_channel_invalid', 'channel', /at most 64/],
    [
      'both private-key and private-key-file',
      { 'private-key-file': 'key.pem' },
      'input_private_key_conflict',
      'private-key',
      /Both .* one way only/,
    ],
    [
      'an unreadable private-key-file',
      { 'private-key': '', 'private-key-file': 'missing.pem' },
      'input_file_unreadable',
      'private-key-file',
      /Cannot read/,
    ],
    ['no private key', { 'private-key': '' }, 'input_private_key_missing', 'private-key', /LIVE_UPDATE_PRIVATE_KEY/],
    [
      'a base64-encoded PEM in private-key',
      { 'private-key': Buffer.from(keys.privateKeyPem).toString('base64') },
      'input_private_key_base64',
      'private-key',
      /base64-encoded text of a PEM key.*base64 -d/,
    ],
    [
      'two PEM blocks in private-key',
      { 'private-key': `${keys.privateKeyPem}\n${other.privateKeyPem}` },
      'input_private_key_ambiguous',
      'private-key',
      /2 PEM blocks/,
    ],
    [
      'an SPKI public-key',
      { 'public-key': keys.publicKeyPem.replace(/RSA PUBLIC/g, 'PUBLIC') },
      'keys_public_key_spki',
      'public-key',
      /SPKI/,
    ],
    ['a boolean that is not one', { verify: 'flase' }, 'input_boolean_invalid', 'verify', /true or false; got 'flase'/],
    ['a choice that is not one', { storage: 'r2' }, 'input_choice_invalid', 'storage', /one of s3, dir; got 'r2'/],
    [
      'compression level 0',
      { 'compression-level': '0' },
      'input_compression_level_invalid',
      'compression-level',
      /from 1 to 9/,
    ],
    [
      'compression level 1.5',
      { 'compression-level': '1.5' },
      'input_compression_level_invalid',
      'compression-level',
      /whole number/,
    ],
    [
      'an object-key with an unknown placeholder',
      { 'object-key': '{appId}/{verison}/{hash}.zip' },
      'input_object_key_invalid',
      'object-key',
      /Unknown placeholder \{verison\}/,
    ],
    [
      'an object-key with neither version nor hash',
      { 'object-key': '{appId}/bundle.zip' },
      'input_object_key_invalid',
      'object-key',
      /neither \{version\} nor \{hash\}/,
    ],
    [
      'an object-key with a .. segment',
      { 'object-key': '../{version}/{hash}.zip' },
      'input_object_key_invalid',
      'object-key',
      /"\.\." segment/,
    ],
    [
      'an object key over 1024 bytes from a long app id',
      { 'app-id': `com.${'a'.repeat(1100)}` },
      'input_object_key_invalid',
      'object-key',
      /longer than 1024 bytes/,
    ],
    [
      'a public-url without {key}',
      { 'public-url': 'https://cdn.example.com/x' },
      'input_public_url_invalid',
      'public-url',
      /must contain \{key\}/,
    ],
    [
      'a public-url that is no URL',
      { 'public-url': 'cdn.example.com/{key}' },
      'input_public_url_invalid',
      'public-url',
      /absolute URL/,
    ],
    [
      'a public-url with another scheme',
      { 'public-url': 'ftp://cdn.example.com/{key}' },
      'input_public_url_invalid',
      'public-url',
      /https:\/\/ URL \(not ftp:\)/,
    ],
    [
      'a public-url with an unknown placeholder',
      { 'public-url': 'https://cdn.example.com/{app}/{key}' },
      'input_public_url_invalid',
      'public-url',
      /placeholders \{key\} and \{bucket\}/,
    ],
    [
      'storage dir without storage-dir',
      { 'storage-dir': '' },
      'input_storage_dir_missing',
      'storage-dir',
      /set 'storage-dir'/,
    ],
    [
      'a storage-dir inside the web folder',
      { 'storage-dir': 'www/bundles' },
      'input_storage_dir_inside_web_dir',
      'storage-dir',
      /inside the web folder/,
    ],
    ['storage s3 without a bucket', { storage: 's3' }, 'input_s3_bucket_missing', 's3-bucket', /set 's3-bucket'/],
    [
      'a bucket given as a URL',
      { storage: 's3', 's3-bucket': 's3://my-bucket' },
      'input_s3_bucket_invalid',
      's3-bucket',
      /name only/,
    ],
    [
      'an s3-endpoint without a scheme',
      { storage: 's3', 's3-bucket': 'b', 's3-endpoint': 'minio.local:9000' },
      'input_s3_endpoint_invalid',
      's3-endpoint',
      /http\(s\) URL/,
    ],
    [
      'an access key id without its secret',
      { storage: 's3', 's3-bucket': 'b', 's3-access-key-id': 'AKIAEXAMPLE' },
      'input_s3_credentials_incomplete',
      's3-secret-access-key',
      /both/,
    ],
    [
      'a part size of 4 MiB',
      { storage: 's3', 's3-bucket': 'b', 's3-part-size-mib': '4' },
      'input_part_size_invalid',
      's3-part-size-mib',
      /from 5 to 5120/,
    ],
    [
      'server capgo without an API key',
      { server: 'capgo' },
      'input_capgo_api_key_missing',
      'capgo-api-key',
      /Capgo API key/,
    ],
    [
      'a capgo-api-url with credentials',
      { server: 'capgo', 'capgo-api-key': 'k', 'capgo-api-url': 'https://u:p@capgo.example.com' },
      'input_capgo_api_url_invalid',
      'capgo-api-url',
      /credentials/,
    ],
    [
      'server webhook without a URL',
      { server: 'webhook' },
      'input_webhook_url_invalid',
      'webhook-url',
      /set 'webhook-url'/,
    ],
    [
      'server webhook without a secret',
      { server: 'webhook', 'webhook-url': 'https://hooks.example.com/x' },
      'input_webhook_secret_missing',
      'webhook-secret',
      /X-Signature-256/,
    ],
    [
      'Capgo with a folder store and no https public-url',
      { server: 'capgo', 'capgo-api-key': 'k' },
      'input_public_url_not_https',
      'public-url',
      /Capgo needs https.*file:\/\//,
    ],
    [
      'Capgo with an http public-url',
      { server: 'capgo', 'capgo-api-key': 'k', 'public-url': 'http://cdn.example.com/{key}' },
      'input_public_url_not_https',
      'public-url',
      /http:\/\/cdn\.example\.com\//,
    ],
    [
      'pr-comment sometimes',
      { 'pr-comment': 'sometimes' },
      'input_choice_invalid',
      'pr-comment',
      /auto, always, never/,
    ],
  ]
  it.each(cases)('%s', async (_name, inputs, code, field, message) => {
    const error = await failure(inputs)
    expect({ code: error.code, stage: error.stage, field: error.field }).toEqual({ code, stage: 'input', field })
    expect(renderFields(error.message, 'action')).toMatch(message)
  })

  it('a pushed tag that is not semver fails naming the tag (no silent package.json version)', async () => {
    for (const tag of ['v1.5', 'mobile-v2.0.0', 'release']) {
      const error = await failure({}, { ref: `refs/tags/${tag}` })
      expect({ code: error.code, field: error.field }).toEqual({ code: 'input_tag_invalid', field: 'version' })
      expect(error.message).toContain(`'${tag}'`)
    }
  })

  it('a tag that does not start with a given tag-prefix fails naming both', async () => {
    const error = await failure({ 'tag-prefix': 'mobile-v' }, { ref: 'refs/tags/web-v1.0.0' })
    expect({ code: error.code, field: error.field }).toEqual({ code: 'input_tag_invalid', field: 'tag-prefix' })
    expect(renderFields(error.message, 'action')).toMatch(/'web-v1\.0\.0' does not start with 'tag-prefix' 'mobile-v'/)
  })

  it.each([
    ['a line break', (pem: string) => `\n${pem}`, /has a line break before -----BEGIN RSA PUBLIC KEY-----/],
    ['spaces', (pem: string) => `  ${pem}`, /has spaces before/],
    ['a comment', (pem: string) => `key:\n${pem}`, /has 5 characters before/],
    ['escaped newlines', (pem: string) => pem.replace(/\n/g, '\\n'), /escaped newline/],
    ['text after the END line', (pem: string) => `${pem}\n# rotated 2026`, /text after -----END RSA PUBLIC KEY-----/],
  ])("capacitor.config's publicKey with %s before any work, showing the fix", async (_name, mangle, problem) => {
    const dir = await writeProject(path.join(path.dirname(project), `pk-${Math.random().toString(36).slice(2)}`), {
      plugins: { CapacitorUpdater: { publicKey: mangle(keys.publicKeyPem) } },
    })
    const error = await failure({ 'working-directory': dir, 'storage-dir': '../store' })
    expect({ code: error.code, stage: error.stage, field: error.field }).toEqual({
      code: 'input_public_key_form_invalid',
      stage: 'input',
      field: 'public-key',
    })
    expect(error.message).toMatch(problem)
    expect(error.message).toContain('capacitor.config.json plugins.CapacitorUpdater.publicKey')
    expect(error.message).toMatch(/starting with -----BEGIN RSA PUBLIC KEY----- \(nothing before it/)
  })

  it('a project without capacitor.config or package.json: app id, web folder and version are asked for', async () => {
    const bare = path.join(path.dirname(project), 'bare')
    await mkdir(bare, { recursive: true })
    const inputs = { 'working-directory': bare, 'storage-dir': '../store' }
    const noApp = await failure(inputs)
    expect(noApp.code).toBe('input_app_id_missing')
    expect(renderFields(noApp.message, 'action')).toMatch(
      /there is no capacitor\.config in .*bare \(check out the repository first, or point 'working-directory'/,
    )
    expect((await failure({ ...inputs, 'app-id': 'com.example.bare' })).code).toBe('input_path_missing')
    const noVersion = await failure({ ...inputs, 'app-id': 'com.example.bare', path: '.' })
    expect({ code: noVersion.code, field: noVersion.field }).toEqual({
      code: 'input_version_missing',
      field: 'version',
    })
    expect(renderFields(noVersion.message, 'action')).toMatch(/Set 'version', push a tag like v1\.2\.3/)
  })

  it('a capacitor.config that is not JSON fails at input', async () => {
    const broken = path.join(path.dirname(project), 'broken')
    await mkdir(broken)
    await writeFile(path.join(broken, 'capacitor.config.json'), '{ nope')
    const error = await failure({ 'working-directory': broken })
    expect({ code: error.code, stage: error.stage }).toEqual({ code: 'input_capacitor_config_invalid', stage: 'input' })
  })

  it('no secret or credential is quoted back in a message', async () => {
    const messages = await Promise.all([
      failure({ 'public-url': 'https://user:hunter2pw@cdn.example.com/x?token=SigSecret999' }),
      failure({ 'public-url': 'https://user:hunter2pw@cdn.example.com/{key}?X-Amz-Signature=SigSecret999' }),
      failure({
        server: 'capgo',
        'capgo-api-key': 'k',
        'public-url': 'http://cdn.example.com/{key}?X-Amz-Signature=SigSecret999',
      }),
      failure({ storage: 's3', 's3-bucket': 'b', 's3-endpoint': 'https://user:hunter2pw@s3.example.com' }),
    ])
    for (const error of messages) {
      expect(error.message).not.toMatch(/hunter2pw|SigSecret999/)
      expect(error.field).toMatch(/public-url|s3-endpoint/)
    }
  })
})

describe('resolveConfig: values and precedence', () => {
  it('version: the input (leading v dropped), else the tag after tag-prefix, else package.json', async () => {
    expect((await resolve({ version: 'v1.9.0' })).publish.version).toBe('1.9.0')
    expect((await resolve({ version: '2.0.0' }, { ref: 'refs/tags/v3.0.0' })).publish.version).toBe('2.0.0')
    expect((await resolve({}, { ref: 'refs/tags/v3.0.0' })).publish.version).toBe('3.0.0')
    expect((await resolve({}, { ref: 'refs/tags/3.0.1' })).publish.version).toBe('3.0.1')
    expect((await resolve({ 'tag-prefix': 'mobile-v' }, { ref: 'refs/tags/mobile-v2.0.0' })).publish.version).toBe(
      '2.0.0',
    )
    expect((await resolve({}, { ref: 'refs/tags/v2.0.0-rc.1' })).publish.version).toBe('2.0.0-rc.1')
    expect((await resolve({}, { ref: 'refs/heads/main' })).publish.version).toBe('1.4.0')
  })

  it('app id, web folder and public key come from capacitor.config unless given', async () => {
    const config = await resolve({})
    expect(config.publish).toMatchObject({
      appId: 'com.example.app',
      webDir: path.join(project, 'www'),
      publicKeyPem: keys.publicKeyPem,
    })
    expect(config.publish.publicKeySource).toBe('capacitor.config.json plugins.CapacitorUpdater.publicKey')
    const explicit = await resolve({ 'app-id': 'com.example.other', path: 'www', 'public-key': other.publicKeyPem })
    expect(explicit.publish).toMatchObject({ appId: 'com.example.other', publicKeyPem: other.publicKeyPem.trim() })
  })

  it('defaults come from the input table', async () => {
    const config = await resolve({})
    expect(config.publish).toMatchObject({
      channel: 'production',
      objectKeyTemplate: '{appId}/{version}/{hash}.zip',
      verifyUpload: true,
      dryRun: false,
      requireNotifyAppReady: true,
      compressionLevel: 6,
    })
    expect(config.report).toEqual({ summary: true, prComment: 'auto', githubToken: undefined })
    const s3 = await resolve({ storage: 's3', 's3-bucket': 'bucket' })
    expect(s3.storage).toMatchObject({
      kind: 's3',
      region: 'us-east-1',
      partSizeMiB: 8,
      checksumMode: 'auto',
      forcePathStyle: false,
    })
  })

  it('a private-key-file is read from the working directory and its lines are masked', async () => {
    const config = await resolve({ 'private-key': '', 'private-key-file': 'key.pem' })
    expect(config.publish.privateKeyPem).toBe(keys.privateKeyPem)
    expect(config.publish.privateKeyField).toBe('private-key-file')
    for (const line of keys.privateKeyPem.split('\n').filter((text) => text.length > 8))
      expect(config.secrets).toContain(line)
  })

  it('a pull request without a private key becomes check-only; without a pull request it stays an error', async () => {
    const config = await resolve({ 'private-key': '', server: 'capgo' }, { pullRequest: { number: 7 } })
    expect(config.checkOnly?.reason).toMatch(/forks and Dependabot/)
    expect(config.publish.checkOnly).toBe(true)
    expect((await failure({ 'private-key': '' }, { ref: 'refs/tags/v1.0.0' })).code).toBe('input_private_key_missing')
  })

  it('a dry run needs no bucket and no update-server secret', async () => {
    const config = await resolve({ 'dry-run': 'true', storage: 's3', server: 'capgo' })
    expect(config.storage).toEqual({ kind: 'none' })
    expect(config.registrar).toMatchObject({ kind: 'capgo', apiKey: '' })
  })

  it('the run context gives the link and git metadata; core reads no environment', async () => {
    const config = await resolve(
      {},
      {
        tempDir: '/tmp/x',
        git: { sha: 'f00dfeedbeefcafe0123', runUrl: 'https://github.com/a/b/actions/runs/1', repository: 'a/b' },
      },
    )
    expect(config.publish).toMatchObject({
      tempDir: '/tmp/x',
      link: 'https://github.com/a/b/actions/runs/1',
      comment: 'commit f00dfeedbeef',
    })
  })
})

describe('secretParts', () => {
  it('splits at LF, CRLF, a lone CR and escaped newlines', () => {
    const lines = [
      '-----BEGIN RSA PRIVATE KEY-----',
      'MIIEowIBAAKCAQEAline1aaaa',
      'line2bbbbbbbbbbbbbbb',
      '-----END RSA PRIVATE KEY-----',
    ]
    for (const separator of ['\n', '\r\n', '\r', '\\n', '\\r\\n'])
      expect(secretParts(lines.join(separator))).toEqual(expect.arrayContaining(lines))
  })
})
