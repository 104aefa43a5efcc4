import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { computeNativeFingerprint } from '../src/core/native/fingerprint.js'
import { capgoLocalDependencies, capgoNativePackages, exportCapgoLocalDependencies } from './support/capgo-native.js'
import { thrownBy } from './support/thrown.js'
import { removeDir, tempDir, writeTree } from './support/folders.js'
import { makeNativeProject } from './support/native-project.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
let work: string
let sdkCopy: string

beforeAll(async () => {
  work = await tempDir('live-update-native-')
  sdkCopy = await exportCapgoLocalDependencies(work)
})

afterAll(async () => {
  await removeDir(work)
})

describe("native fingerprint = Capgo CLI 8.68.1's native_packages", () => {
  it('matches on a project that hits every rule (hoisted, Cordova, nested, podspec, Package.swift, unreadable file)', async () => {
    const { app } = await makeNativeProject(path.join(work, 'rules'))
    const ours = computeNativeFingerprint({ workingDirectory: app })
    const capgo = capgoNativePackages(await capgoLocalDependencies(sdkCopy, app))
    expect(ours.packages).toEqual(capgo)
    // The rules the fixture is meant to exercise really are exercised.
    expect(ours.packages.map((p) => p.name)).toEqual(['plugin-full', 'cordova-plugin', 'hoisted-plugin'])
    const full = ours.packages[0]!
    expect(full.version).toBe('1.2.3')
    expect(full.ios_checksum).toMatch(/^[0-9a-f]{64}$/)
    expect(full.android_checksum).toMatch(/^[0-9a-f]{64}$/)
    expect(ours.packages[1]).toEqual({ name: 'cordova-plugin', version: '2.0.1' })
    expect(ours.packages[2]!.ios_checksum).toBeUndefined()
    expect(ours.capacitor).toEqual({ android: '7.4.2', ios: '7.4.2' })
  })

  it('matches on the example app with the real @capgo/capacitor-updater plugin installed', async () => {
    const example = path.join(repoRoot, 'example')
    const ours = computeNativeFingerprint({ workingDirectory: example })
    const capgo = capgoNativePackages(await capgoLocalDependencies(sdkCopy, example))
    expect(ours.packages).toEqual(capgo)
    expect(ours.packages).toEqual([expect.objectContaining({ name: '@capgo/capacitor-updater', version: '8.51.23' })])
  })

  it('matches after a native source edit and a version bump, and each changes only what it should', async () => {
    const { app } = await makeNativeProject(path.join(work, 'edit'))
    const before = computeNativeFingerprint({ workingDirectory: app }).packages[0]!
    await writeFile(
      path.join(app, 'node_modules/plugin-full/android/src/main/java/com/x/Plugin.java'),
      'class Plugin { int x; }\n',
    )
    const edited = computeNativeFingerprint({ workingDirectory: app })
    expect(edited.packages).toEqual(capgoNativePackages(await capgoLocalDependencies(sdkCopy, app)))
    expect(edited.packages[0]!.android_checksum).not.toBe(before.android_checksum)
    expect(edited.packages[0]!.ios_checksum).toBe(before.ios_checksum)
    await writeTree(path.join(app, 'node_modules/plugin-full'), {
      'package.json': JSON.stringify({ name: 'plugin-full', version: '1.3.0', capacitor: { ios: {}, android: {} } }),
    })
    const bumped = computeNativeFingerprint({ workingDirectory: app })
    expect(bumped.packages).toEqual(capgoNativePackages(await capgoLocalDependencies(sdkCopy, app)))
    expect(bumped.packages[0]!.version).toBe('1.3.0')
  })
})

describe('missing installs are named', () => {
  it('a dependency that is not installed', async () => {
    const { app } = await makeNativeProject(path.join(work, 'missing'))
    await rm(path.join(app, 'node_modules/js-only'), { recursive: true })
    expect(thrownBy(() => computeNativeFingerprint({ workingDirectory: app }))).toMatchObject({
      code: 'native_dependency_missing',
      input: 'working-directory',
      message: expect.stringContaining('js-only'),
    })
  })

  it('no package.json', () => {
    expect(thrownBy(() => computeNativeFingerprint({ workingDirectory: path.join(work, 'nowhere') }))).toMatchObject({
      code: 'native_package_json_missing',
    })
  })
})
