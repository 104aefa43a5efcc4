import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import path from 'node:path'
import { assertNativeCompatible, compareFingerprints, nativeVerdict } from '../src/core/native/compare.js'
import {
  assertNotBelowNative,
  detectNativeVersion,
  isBelowNative,
  parseNativeVersionInput,
} from '../src/core/native/native-version.js'
import type { NativeFingerprint } from '../src/core/native/types.js'
import { thrownBy } from './support/thrown.js'
import { removeDir, tempDir, writeTree } from './support/folders.js'

let work: string
beforeAll(async () => {
  work = await tempDir('live-update-native-compat-')
})
afterAll(async () => {
  await removeDir(work)
})

const base: NativeFingerprint = {
  packages: [
    { name: 'plugin-a', version: '1.0.0', ios_checksum: 'a'.repeat(64), android_checksum: 'b'.repeat(64) },
    { name: 'plugin-b', version: '2.0.0', android_checksum: 'c'.repeat(64) },
  ],
  capacitor: { android: '7.4.2', ios: '7.4.2' },
}

describe('compareFingerprints', () => {
  it('names each added, removed and changed package with old → new; a removal alone does not block', () => {
    const next: NativeFingerprint = {
      packages: [
        { name: 'plugin-a', version: '1.1.0', ios_checksum: 'a'.repeat(64), android_checksum: 'd'.repeat(64) },
        { name: 'plugin-new', version: '0.1.0' },
      ],
      capacitor: { android: '8.0.0', ios: '7.4.2' },
    }
    const changes = compareFingerprints(base, next)
    expect(changes.map((c) => [c.name, c.kind, c.before, c.after, c.blocking])).toEqual([
      ['@capacitor/android', 'changed', '7.4.2', '8.0.0', true],
      ['plugin-a', 'changed', '1.0.0', '1.1.0', true],
      ['plugin-b', 'removed', '2.0.0', undefined, false],
      ['plugin-new', 'added', undefined, '0.1.0', true],
    ])
    expect(changes[1]!.details).toEqual(['version 1.0.0 → 1.1.0', 'Android native code changed (bbbbbbbb → dddddddd)'])
  })

  it('same version with a checksum that appears is a change (Capgo: platform_checksum_metadata_changed)', () => {
    const next = { ...base, packages: [base.packages[0]!, { ...base.packages[1]!, ios_checksum: 'e'.repeat(64) }] }
    expect(compareFingerprints(base, next)).toEqual([
      expect.objectContaining({
        name: 'plugin-b',
        blocking: true,
        details: ['iOS native code appeared (none → eeeeeeee)'],
      }),
    ])
    expect(compareFingerprints(base, base)).toEqual([])
  })
})

describe('nativeVerdict', () => {
  const bumped: NativeFingerprint = {
    ...base,
    packages: [{ ...base.packages[0]!, version: '1.0.1' }, base.packages[1]!],
  }

  it('first release, no fingerprint on record, off', () => {
    expect(nativeVerdict('fail', undefined, base).status).toBe('first-release')
    expect(nativeVerdict('fail', { fingerprint: null, version: '1.0.0' }, base)).toEqual({
      status: 'first-release',
      reason: expect.stringContaining('1.0.0 holds no native fingerprint'),
    })
    expect(nativeVerdict('off', { fingerprint: base }, bumped).status).toBe('off')
  })

  it('fail refuses with every package named; accept publishes; a removal passes in fail mode', () => {
    const refused = nativeVerdict('fail', { fingerprint: base, version: '1.4.0' }, bumped)
    expect(refused.status).toBe('incompatible')
    expect(thrownBy(() => assertNativeCompatible(refused, 'production'))).toMatchObject({
      code: 'native_plugins_incompatible',
      input: 'native-compatibility',
      message: expect.stringMatching(
        /since 1\.4\.0 on channel 'production'[\s\S]*plugin-a: version 1\.0\.0 → 1\.0\.1[\s\S]*{{native-compatibility}} accept/,
      ),
    })
    expect(nativeVerdict('accept', { fingerprint: base }, bumped).status).toBe('accepted')
    const removed = nativeVerdict('fail', { fingerprint: base }, { ...base, packages: [base.packages[0]!] })
    expect(removed.status).toBe('compatible')
    expect(() => assertNativeCompatible(removed, 'production')).not.toThrow()
  })
})

describe("the plugin's builtinMinimum rule", () => {
  it.each([
    ['1.2.3', '1.2.3', false],
    ['1.2.4', '1.2.3', false],
    ['2.0.0-beta.1', '1.2.3', false],
    ['1.2.3-beta.1', '1.2.3', false],
    ['1.2.3.3', '1.2.3.4', false],
    ['1.2.3+build.42', '1.2.3.4', false],
    ['1.9.9+build.42', '2.0.0', true],
    ['1.2.2', '1.2.3', true],
    ['0.9.0', '1.2.3', true],
    ['1.9.9', '2.0', true],
    ['0.0.1', 'dev-build', false],
    ['builtin', '1.2.3', false],
  ])('bundle %s on native %s: below = %s', (bundle, native, below) => {
    expect(isBelowNative(bundle, native)).toBe(below)
  })

  it('refuses with the source named and the lowest passing version', () => {
    expect(
      thrownBy(() => assertNotBelowNative('1.2.2', { version: '1.2.3', source: 'android/app/build.gradle' })),
    ).toMatchObject({
      code: 'native_version_below',
      message: expect.stringMatching(
        /1\.2\.2 is below the app's native version 1\.2\.3 \(from android\/app\/build\.gradle\)[\s\S]*Publish 1\.2\.3 or later/,
      ),
    })
    expect(() => assertNotBelowNative('1.2.3-rc.1', { version: '1.2.3', source: 'native-version' })).not.toThrow()
    expect(thrownBy(() => parseNativeVersionInput('latest'))).toMatchObject({ input: 'native-version' })
  })
})

describe('detectNativeVersion', () => {
  it('reads versionName from android/app/build.gradle first', async () => {
    const dir = await writeTree(path.join(work, 'both'), {
      'android/app/build.gradle':
        'android {\n  defaultConfig {\n    versionCode 12\n    // versionName "9.9.9"\n    versionName "1.4.0"\n  }\n}\n',
      'ios/App/App.xcodeproj/project.pbxproj': 'MARKETING_VERSION = 1.5.0;\n',
    })
    expect(detectNativeVersion(dir)).toEqual({ version: '1.4.0', source: 'android/app/build.gradle' })
  })

  it('falls back to the highest iOS MARKETING_VERSION; a gradle variable is not a version', async () => {
    const dir = await writeTree(path.join(work, 'ios'), {
      'android/app/build.gradle': 'versionName rootProject.ext.appVersion\n',
      'ios/App/App.xcodeproj/project.pbxproj':
        // Highest, not last: 2.1.1 comes between a lower version and a variable.
        '\t\t\t\tMARKETING_VERSION = 2.1.0;\n\t\t\t\tMARKETING_VERSION = "2.1.1";\n\t\t\t\tMARKETING_VERSION = 2.0.9;\n\t\t\t\tMARKETING_VERSION = $(APP_VERSION);\n',
    })
    expect(detectNativeVersion(dir)).toEqual({ version: '2.1.1', source: 'ios/App/App.xcodeproj/project.pbxproj' })
    expect(detectNativeVersion(path.join(work, 'nothing-here'))).toBeUndefined()
  })

  it('reads build.gradle.kts (versionName = "…")', async () => {
    const dir = await writeTree(path.join(work, 'kts'), {
      'android/app/build.gradle.kts': 'defaultConfig {\n  versionName = "3.0.0"\n}\n',
    })
    expect(detectNativeVersion(dir)).toEqual({ version: '3.0.0', source: 'android/app/build.gradle.kts' })
  })
})
