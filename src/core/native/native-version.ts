/**
 * The app's native version and the plugin's `builtinMinimum` gate (@capgo/capacitor-updater >= 8.53):
 * a device refuses a bundle whose version is below the native app's version (`version_below_native`)
 * and stays on its current bundle. The rule, from the plugin's BundleSignatureTest.java /
 * BundleSignatureTests.swift and its lenient Version parser (Version.java): only major.minor.patch
 * are compared (a prerelease AT the native version passes, build metadata and a fourth component are
 * ignored), missing components count as 0, and a version that does not start with a digit never blocks.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { LiveUpdateError } from '../errors.js'

export interface NativeVersion {
  version: string
  /** Where it was read, relative to the working directory, or 'native-version' when given. */
  source: string
}

/** major, minor, patch as the plugin reads them, or undefined when it would not block. */
export function nativeTriple(version: string): [number, number, number] | undefined {
  const text = version.replace(/\s/g, '')
  if (!/^\d/.test(text)) return undefined
  const numbers: number[] = []
  for (const token of text.split('.')) {
    const digits = /^\d*/.exec(token)![0]
    if (digits) numbers.push(Number(digits.slice(0, 15)))
    if (digits.length !== token.length) break
  }
  return [numbers[0] ?? 0, numbers[1] ?? 0, numbers[2] ?? 0]
}

/** True when a device with this native version refuses the bundle version. */
export function isBelowNative(bundleVersion: string, nativeVersion: string): boolean {
  const bundle = nativeTriple(bundleVersion)
  const native = nativeTriple(nativeVersion)
  if (!bundle || !native) return false
  for (let i = 0; i < 3; i++) {
    if (bundle[i]! !== native[i]!) return bundle[i]! < native[i]!
  }
  return false
}

// Not inside a // comment; `versionName "1.2.3"` (Groovy) or `versionName = "1.2.3"` (Kotlin DSL).
const GRADLE_VERSION_NAME = /^(?:(?!\/\/).)*?\bversionName\s*(?:=\s*)?["']([^"'$]+)["']/m
const MARKETING_VERSION = /\bMARKETING_VERSION\s*=\s*"?([^";$\s]+)"?\s*;/g

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/** `versionName` of android/app/build.gradle(.kts), else the highest MARKETING_VERSION of ios/App/*.xcodeproj. */
export function detectNativeVersion(workingDirectory: string): NativeVersion | undefined {
  for (const name of ['build.gradle', 'build.gradle.kts']) {
    const text = read(path.join(workingDirectory, 'android', 'app', name))
    const match = text ? GRADLE_VERSION_NAME.exec(text) : null
    if (match) return { version: match[1]!.trim(), source: `android/app/${name}` }
  }
  const iosApp = path.join(workingDirectory, 'ios', 'App')
  const projects = existsSync(iosApp)
    ? readdirSync(iosApp)
        .filter((name) => name.endsWith('.xcodeproj'))
        .sort()
    : []
  for (const project of projects) {
    const text = read(path.join(iosApp, project, 'project.pbxproj'))
    if (!text) continue
    // Debug and Release may differ: the highest is what a store build most likely carries.
    const versions = [...text.matchAll(MARKETING_VERSION)].map((m) => m[1]!).filter((v) => nativeTriple(v))
    if (versions.length === 0) continue
    const highest = versions.reduce((a, b) => (isBelowNative(a, b) ? b : a))
    return { version: highest, source: `ios/App/${project}/project.pbxproj` }
  }
  return undefined
}

/** Refuse, before any work, a version every current device would refuse. */
export function assertNotBelowNative(bundleVersion: string, native: NativeVersion | undefined): void {
  if (!native || !isBelowNative(bundleVersion, native.version)) return
  const [major, minor, patch] = nativeTriple(native.version)!
  throw new LiveUpdateError(
    'native_version_below',
    `Version ${bundleVersion} is below the app's native version ${native.version} (from ${native.source === 'native-version' ? '{{native-version}}' : native.source}): devices with @capgo/capacitor-updater 8.53 or later refuse it (version_below_native) and keep their current bundle. Publish ${major}.${minor}.${patch} or later (a prerelease such as ${major}.${minor}.${patch}-beta.1 passes), or set {{native-version}} if ${native.source} does not hold the shipped version.`,
    { stage: 'input', input: native.source === 'native-version' ? 'native-version' : 'version' },
  )
}

/** The `native-version` input: a value the plugin can parse, or a clear error. */
export function parseNativeVersionInput(value: string): NativeVersion {
  const version = value.trim()
  if (!nativeTriple(version)) {
    throw new LiveUpdateError(
      'native_version_invalid',
      `{{native-version}} must be the app's native version such as 1.4.0 (versionName / MARKETING_VERSION), got '${value}'.`,
      { stage: 'input', input: 'native-version' },
    )
  }
  return { version, source: 'native-version' }
}
