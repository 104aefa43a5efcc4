/**
 * The build never sees a secret (issue 9 item 1): not in its own environment, and not in any
 * ancestor's /proc/<pid>/environ or cmdline (the action's own process included, which keeps its
 * initial environment after `delete process.env[...]`). Run through the bundled action
 * (`node dist/index.js`, rebuilt with `npm run bundle`), in-process through run(), and through the
 * CLI. Also the build's timeout and the end of its whole process group.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { run } from '../src/action/main.js'
import { resolveConfig } from '../src/core/config/index.js'
import { createKeyPair } from '../src/core/keys.js'
import { buildEnvironment } from '../src/core/build.js'
import { hiddenFromBuild } from '../src/platform/build-policy.js'
import { scrubProcessMemory } from '../src/platform/scrub-process-memory.js'
import { makeSmallApp, removeDir, tempDir, writeTree } from './support/folders.js'
import { CLI_ENTRY, runAction } from './support/run-action.js'

const keys = createKeyPair()
const S3_SECRET = `s3secret-${randomBytes(12).toString('hex')}`
const S3_KEY_ID = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`
const CAPGO_KEY = `capgo-${randomBytes(12).toString('hex')}`
const GITHUB_TOKEN = `ghs_${randomBytes(18).toString('hex')}`
const WEBHOOK_SECRET = `whsec-${randomBytes(16).toString('hex')}`
const RUNTIME_TOKEN = `runtime-${randomBytes(16).toString('hex')}`
const ID_TOKEN = `idtoken-${randomBytes(16).toString('hex')}`
const PEM_LINES = keys.privateKeyPem.split('\n').filter((line) => line.length > 0)
/** PEM body lines are public where they repeat the public key's modulus; the first and last hold private parts. */
const SECRETS = [...PEM_LINES, S3_SECRET, S3_KEY_ID, CAPGO_KEY, GITHUB_TOKEN, WEBHOOK_SECRET, RUNTIME_TOKEN, ID_TOKEN]

/** A build that records its environment and, walking up through /proc/<pid>/stat, every ancestor's. */
const DUMP_SCRIPT = `#!/usr/bin/env bash
out="$1"
{
  echo "== build env"; env
  echo "== node child env"; node -e 'for (const [k, v] of Object.entries(process.env)) console.log(k + "=" + v)'
  pid=$$
  while [ -n "$pid" ] && [ "$pid" -gt 1 ]; do
    echo "== pid $pid cmdline: $(tr '\\0' ' ' < /proc/$pid/cmdline)"
    tr '\\0' '\\n' < /proc/$pid/environ
    echo
    pid=$(sed 's/.*) //' /proc/$pid/stat | cut -d' ' -f2)
  done
} > "$out" 2>&1
`

let work: string
let app: string

beforeAll(async () => {
  work = await tempDir('live-update-build-')
  app = path.join(work, 'app')
  await makeSmallApp(path.join(app, 'www'))
  await writeTree(app, { 'dump.sh': DUMP_SCRIPT })
})

afterAll(async () => {
  await removeDir(work)
})

/** Every input the action takes as a secret, plus a dry run of the app. */
function inputs(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    'app-id': 'com.example.app',
    'working-directory': app,
    path: 'www',
    version: '1.0.0',
    'private-key': keys.privateKeyPem,
    'dry-run': 'true',
    storage: 's3',
    's3-bucket': 'bucket',
    's3-endpoint': 'http://127.0.0.1:9',
    's3-access-key-id': S3_KEY_ID,
    's3-secret-access-key': S3_SECRET,
    server: 'capgo',
    'capgo-api-key': CAPGO_KEY,
    'webhook-secret': WEBHOOK_SECRET,
    'github-token': GITHUB_TOKEN,
    'pr-comment': 'never',
    ...overrides,
  }
}

/** Variables a runner (or a user's `env:`) puts beside the inputs. */
const RUNNER_ENV = {
  CI: 'true',
  ACTIONS_RUNTIME_TOKEN: RUNTIME_TOKEN,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: ID_TOKEN,
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.actions.example/x',
  // The same secrets again under other names: dropped because of their values.
  AWS_SECRET_ACCESS_KEY: S3_SECRET,
  GITHUB_TOKEN,
  PRIVATE_KEY_COPY: keys.privateKeyPem,
  HARMLESS_SETTING: 'kept',
}

function leaks(text: string): string[] {
  const found = SECRETS.filter((secret) => text.includes(secret)).map((secret) => secret.slice(0, 12))
  if (/INPUT_/.test(text)) found.push('an INPUT_ variable')
  return found
}

/** The dump's sections, by header line. */
function sections(dump: string): Map<string, string> {
  const out = new Map<string, string>()
  let name = ''
  for (const line of dump.split('\n')) {
    if (line.startsWith('== ')) out.set((name = line.slice(3)), '')
    else out.set(name, `${out.get(name) ?? ''}${line}\n`)
  }
  return out
}

function checkDump(dump: string, actionCmdline: RegExp): void {
  const parts = sections(dump)
  const buildEnv = parts.get('build env') ?? ''
  // What the build keeps: the job's context, minus the secrets and the runner's command files.
  expect(buildEnv).toMatch(/^PATH=/m)
  expect(buildEnv).toMatch(/^CI=true$/m)
  expect(buildEnv).toMatch(/^HARMLESS_SETTING=kept$/m)
  expect(buildEnv).toMatch(/^GITHUB_REPOSITORY=acme\/app$/m)
  expect(buildEnv).not.toMatch(
    /^(GITHUB_OUTPUT|GITHUB_STEP_SUMMARY|GITHUB_ENV|GITHUB_STATE|AWS_SECRET_ACCESS_KEY|GITHUB_TOKEN|ACTIONS_\w+)=/m,
  )
  // The walk really read the action's own /proc/<pid>/environ (so an unscrubbed one would show here).
  const actionSection = [...parts.entries()].find(([name]) => actionCmdline.test(name))
  expect(actionSection).toBeDefined()
  expect(actionSection![1]).toMatch(/^GITHUB_RUN_ID=4242$/m)
  expect(leaks(dump)).toEqual([])
  for (const line of PEM_LINES) expect(dump).not.toContain(line)
}

describe('the build never sees a secret', () => {
  it('through the bundled action: its env, the action process and every ancestor hold none', async () => {
    const dump = path.join(work, 'dump-action.txt')
    const started = Date.now()
    const result = await runAction({ inputs: inputs({ 'build-command': `bash dump.sh ${dump}` }), env: RUNNER_ENV })
    expect({
      code: result.code,
      errors: result.stdout.split('\n').filter((line) => line.startsWith('::error')),
    }).toEqual({ code: 0, errors: [] })
    checkDump(await readFile(dump, 'utf8'), /dist\/index\.js/)
    expect(result.stdout).toMatch(
      /^Not passed to the build \(their values are secrets given to the action\): .*AWS_SECRET_ACCESS_KEY/m,
    )
    expect(result.stdout).not.toContain('::warning::The build cannot be fully kept')
    expect(Date.now() - started).toBeLessThan(30000)
  })

  it('in-process (run() from the sources): the build gets none of the inputs nor a secret', async () => {
    const dump = path.join(work, 'dump-inprocess.txt')
    const summary = path.join(work, 'summary-inprocess.md')
    await writeFile(summary, '')
    const saved = { ...process.env }
    const exitCode = process.exitCode
    const env: Record<string, string> = {
      ...RUNNER_ENV,
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_REPOSITORY: 'acme/app',
      GITHUB_RUN_ID: '4242',
    }
    for (const [name, value] of Object.entries(inputs({ 'build-command': `bash dump.sh ${dump}` })))
      env[`INPUT_${name.toUpperCase()}`] = value
    Object.assign(process.env, env)
    const write = process.stdout.write
    let stdout = ''
    process.stdout.write = ((chunk: string | Uint8Array) => (
      (stdout += chunk.toString()), true
    )) as typeof process.stdout.write
    try {
      await run()
    } finally {
      process.stdout.write = write
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
      Object.assign(process.env, saved)
      process.exitCode = exitCode
    }
    expect(stdout).not.toContain('::error::')
    const text = await readFile(dump, 'utf8')
    const buildEnv = sections(text).get('build env') ?? ''
    expect(buildEnv).toMatch(/^HARMLESS_SETTING=kept$/m)
    expect(leaks(buildEnv)).toEqual([])
    expect(leaks(sections(text).get('node child env') ?? '')).toEqual([])
    // The ancestors (this jest worker and up) were started without the secrets: none shows anywhere.
    expect(leaks(text)).toEqual([])
  })

  it('through the CLI: secrets given as flags are erased from its /proc cmdline too', async () => {
    const dump = path.join(work, 'dump-cli.txt')
    const keyFile = path.join(work, 'key.pem')
    await writeFile(keyFile, keys.privateKeyPem)
    const args = [
      'publish',
      '--working-directory',
      app,
      '--app-id',
      'com.example.app',
      '--path',
      'www',
      '--version',
      '1.0.0',
      '--private-key-file',
      keyFile,
      '--dry-run',
      'true',
      '--s3-bucket',
      'bucket',
      '--s3-endpoint',
      'http://127.0.0.1:9',
      '--s3-access-key-id',
      S3_KEY_ID,
      '--s3-secret-access-key',
      S3_SECRET,
      '--server',
      'none',
      '--build-command',
      `bash dump.sh ${dump}`,
    ]
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
      cwd: work,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: work,
        CI: 'true',
        HARMLESS_SETTING: 'kept',
        GITHUB_RUN_ID: '4242',
        GITHUB_REPOSITORY: 'acme/app',
        AWS_SECRET_ACCESS_KEY: S3_SECRET,
      },
    })
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.stdout.resume()
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' })
    checkDump(await readFile(dump, 'utf8'), /dist\/cli\.js publish/)
  })
})

/** True while the process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

async function waitFor(file: string): Promise<void> {
  for (let i = 0; i < 200 && !existsSync(file); i++) await new Promise((resolve) => setTimeout(resolve, 50))
}

describe('the build is bounded', () => {
  it('build-timeout-minutes ends the build and the grandchild it started', async () => {
    const pidFile = path.join(work, 'timeout.pid')
    const started = Date.now()
    const result = await runAction({
      inputs: inputs({
        'build-timeout-minutes': '0.03',
        'build-command': `sleep 300 & echo $! > ${pidFile}; sleep 300`,
      }),
    })
    const elapsed = Date.now() - started
    expect(result.code).not.toBe(0)
    expect(result.stdout).toMatch(
      /::error::build failed: 'build-command' ran longer than 0\.03 minutes and was ended\. .*'build-timeout-minutes'/,
    )
    expect(result.summary).toContain('build')
    expect(elapsed).toBeLessThan(15000)
    const grandchild = Number(await readFile(pidFile, 'utf8'))
    expect(grandchild).toBeGreaterThan(1)
    expect(alive(grandchild)).toBe(false)
  })

  it('a process the build leaves running is ended when the build exits', async () => {
    const pidFile = path.join(work, 'leftover.pid')
    const result = await runAction({
      inputs: inputs({ 'build-command': `(trap '' TERM; sleep 300) > /dev/null 2>&1 & echo $! > ${pidFile}` }),
    })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("'build-command' left processes running; they were ended with it.")
    await waitFor(pidFile)
    // The subshell ignores SIGTERM: SIGKILL after the grace period ends it.
    expect(alive(Number(await readFile(pidFile, 'utf8')))).toBe(false)
  })

  it.each(['0', '-1', 'abc', '361', '1e3', ''])(
    'build-timeout-minutes %p is refused before anything runs',
    async (value) => {
      const read = (name: string) => (name === 'build-timeout-minutes' ? value : inputs()[name])
      if (value === '') {
        await expect(resolveConfig(read, { cwd: app })).resolves.toMatchObject({ buildTimeoutMs: 30 * 60000 })
        return
      }
      await expect(resolveConfig(read, { cwd: app })).rejects.toMatchObject({
        code: 'input_build_timeout_invalid',
        stage: 'input',
        input: 'build-timeout-minutes',
      })
    },
  )
})

describe('where the process memory cannot be rewritten', () => {
  it('the scrub reports why (the action then warns and recommends a separate step)', () => {
    const stat = `1 (node (x) y) S${' 0'.repeat(44)} 1000 2000 3000 4000 0`
    const failing = {
      readText: () => stat,
      readBytes: () => Buffer.from('INPUT_PRIVATE-KEY=x\0'),
      readMemory: (_address: number, length: number) =>
        Buffer.concat([Buffer.from('INPUT_PRIVATE-KEY=x\0'), Buffer.alloc(length)]).subarray(0, length),
      writeMemory: () => {
        throw Object.assign(new Error('denied'), { code: 'EACCES' })
      },
    }
    const outcome = scrubProcessMemory({ secrets: ['x'], eraseName: (name) => name.startsWith('INPUT_') }, failing, {})
    expect(outcome).toEqual({ ok: false, reason: '/proc/self/mem is not writable here (EACCES)' })
  })
})

describe('buildEnvironment', () => {
  it('drops hidden names, values equal to a secret, and values holding a secret of 8+ characters; keeps the rest', () => {
    const env = {
      'INPUT_PRIVATE-KEY': 'pem',
      ACTIONS_RUNTIME_TOKEN: 'tok',
      GITHUB_OUTPUT: '/x/out',
      SHORT_EQUAL: 'testing',
      SHORT_INSIDE: 'testing-is-fine',
      LONG_INSIDE: `Bearer ${GITHUB_TOKEN}`,
      NODE_ENV: 'production',
      GITHUB_SHA: 'abc',
    }
    const { env: kept, dropped } = buildEnvironment(env, {
      secrets: ['testing', GITHUB_TOKEN],
      dropName: hiddenFromBuild,
    })
    expect(kept).toEqual({ SHORT_INSIDE: 'testing-is-fine', NODE_ENV: 'production', GITHUB_SHA: 'abc' })
    expect(dropped.sort()).toEqual([
      'ACTIONS_RUNTIME_TOKEN',
      'GITHUB_OUTPUT',
      'INPUT_PRIVATE-KEY',
      'LONG_INSIDE',
      'SHORT_EQUAL',
    ])
  })
})

describe("the build's output", () => {
  it('cannot issue workflow commands: they are stopped (random token) around the build output', async () => {
    const result = await runAction({
      inputs: inputs({ 'build-command': "echo '::error::forged by the build'; echo '::add-mask::x'" }),
    })
    expect(result.code).toBe(0)
    const lines = result.stdout.split('\n')
    const forged = lines.indexOf('::error::forged by the build')
    const stop = lines.findIndex((line) => /^::stop-commands::[0-9a-f]{32}$/.test(line))
    const token = lines[stop]?.slice('::stop-commands::'.length)
    const resume = lines.indexOf(`::${token}::`)
    expect({ stopBefore: stop >= 0 && stop < forged, resumeAfter: resume > forged }).toEqual({
      stopBefore: true,
      resumeAfter: true,
    })
    // Commands work again after the build: the action's own groups follow.
    expect(lines.slice(resume).some((line) => line === '::group::keys')).toBe(true)
  })
})
