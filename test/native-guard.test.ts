import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import path from 'node:path'
import { checkNativeCompatibility, runReleaseGuard, type ReleaseReader } from '../src/core/native/guard.js'
import { computeNativeFingerprint } from '../src/core/native/fingerprint.js'
import type { NativeFingerprint } from '../src/core/native/types.js'
import { removeDir, tempDir, writeTree } from './support/folders.js'
import { makeNativeProject } from './support/native-project.js'

let work: string
let app: string
let current: NativeFingerprint
beforeAll(async () => {
  work = await tempDir('live-update-guard-unit-')
  app = (await makeNativeProject(path.join(work, 'p'))).app
  current = computeNativeFingerprint({ workingDirectory: app })
})
afterAll(async () => {
  await removeDir(work)
})

const older: NativeFingerprint = { packages: [], capacitor: {} }
const reader = (
  channel: Awaited<ReturnType<ReleaseReader['readChannel']>>,
  native: NativeFingerprint | null,
): ReleaseReader => ({
  readChannel: async () => channel,
  readReleaseAt: async (key) =>
    key === 'r/1.0.0.json'
      ? { version: '1.0.0', bundle: { zipSize: 10, rawSize: 20, fileCount: 1 }, files: [], native }
      : undefined,
})
const stable = { version: '1.0.0', record: 'r/1.0.0.json', zipSize: 10 }

describe('checkNativeCompatibility', () => {
  it('without records it says there is nothing to compare with', async () => {
    const result = await checkNativeCompatibility({
      channel: 'production',
      options: { mode: 'fail', workingDirectory: app },
    })
    expect(result.verdict).toEqual({ status: 'first-release', reason: expect.stringContaining('no release records') })
    expect(result.fingerprint).toEqual(current)
  })

  it("the recorded baseline wins over the live release's fingerprint", async () => {
    const withBaseline = reader({ stable, history: [], nativeBaseline: current, nativeFloor: '1.4.0' }, older)
    const result = await checkNativeCompatibility({
      channel: 'production',
      options: { mode: 'fail', workingDirectory: app },
      reader: withBaseline,
    })
    expect(result.verdict).toMatchObject({ status: 'compatible', changes: [] })
    expect(result.previous?.version).toBe('1.0.0')
    expect(result.minNativeVersion).toBe('1.4.0')
    const without = reader({ stable, history: [] }, older)
    await expect(
      checkNativeCompatibility({
        channel: 'production',
        options: { mode: 'fail', workingDirectory: app },
        reader: without,
      }),
    ).rejects.toMatchObject({ code: 'native_plugins_incompatible' })
  })

  it('off: no fingerprint, no check, but the live release is still read for the diff', async () => {
    const result = await checkNativeCompatibility({
      channel: 'production',
      options: { mode: 'off', workingDirectory: path.join(work, 'nothing') },
      reader: reader({ stable, history: [] }, older),
    })
    expect(result).toMatchObject({ fingerprint: null, verdict: { status: 'off' }, previous: { version: '1.0.0' } })
  })
})

describe('runReleaseGuard', () => {
  it('refuses a version below an explicit native-version before reading anything', async () => {
    let reads = 0
    const counting: ReleaseReader = {
      readChannel: async () => {
        reads++
        return undefined
      },
      readReleaseAt: async () => undefined,
    }
    await expect(
      runReleaseGuard({
        version: '1.0.0',
        channel: 'p',
        options: { mode: 'fail', workingDirectory: app, nativeVersion: '1.0.1' },
        reader: counting,
        logger: { info() {}, warn() {} },
      }),
    ).rejects.toMatchObject({ code: 'native_version_below', input: 'native-version' })
    expect(reads).toBe(0)
  })

  it('detects the iOS MARKETING_VERSION when there is no android folder', async () => {
    const dir = await writeTree(path.join(work, 'ios-only'), {
      'ios/App/App.xcodeproj/project.pbxproj': 'MARKETING_VERSION = 3.1.0;\n',
    })
    await expect(
      runReleaseGuard({
        version: '3.0.9',
        channel: 'p',
        options: { mode: 'off', workingDirectory: dir },
        logger: { info() {}, warn() {} },
      }),
    ).rejects.toMatchObject({
      code: 'native_version_below',
      message: expect.stringContaining('ios/App/App.xcodeproj/project.pbxproj'),
    })
  })
})

describe('a folder without package.json', () => {
  it('has nothing to fingerprint: not checked, said why, not an error', async () => {
    const dir = await writeTree(path.join(work, 'bare'), { 'www/index.html': '<html></html>' })
    const result = await checkNativeCompatibility({
      channel: 'production',
      options: { mode: 'fail', workingDirectory: dir },
    })
    expect(result).toMatchObject({
      fingerprint: null,
      verdict: { status: 'off', reason: expect.stringContaining('no package.json') },
    })
  })
})

describe('unreadable records', () => {
  it('are a warning, not a failure: nothing is compared', async () => {
    const warnings: string[] = []
    const broken: ReleaseReader = {
      readChannel: async () => {
        throw new Error('HTTP 500 reading the release record x')
      },
      readReleaseAt: async () => undefined,
    }
    const result = await checkNativeCompatibility({
      channel: 'production',
      options: { mode: 'fail', workingDirectory: app },
      reader: broken,
      logger: { warn: (m) => void warnings.push(m) },
    })
    expect(result.verdict).toMatchObject({
      status: 'first-release',
      reason: expect.stringContaining('no release records'),
    })
    expect(warnings).toEqual([expect.stringContaining('HTTP 500 reading the release record x')])
  })
})
