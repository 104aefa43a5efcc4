/**
 * The native fingerprint of a Capacitor project, computed exactly as Capgo's CLI computes
 * `native_packages` (@capgo/cli 8.68.1, `getLocalDependencies` and `calculatePlatformChecksums` in
 * src/utils.ts), so both tools give the same checksums for the same project. Quirks are kept on
 * purpose (each one is a difference Capgo would report): the node_modules chain is walked upwards,
 * `ios/Package.swift` is hashed twice (it is a native file and a config file), paths are sorted with
 * `localeCompare`, and a file that cannot be read still contributes its path.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { LiveUpdateError } from '../errors.js'
import type { NativeFingerprint, NativePackage } from './types.js'

// Capgo's nativeFileRegex.
const NATIVE_FILE = /([A-Za-z0-9]+)\.(java|swift|kt|scala)$/
const NODE_MODULES_SEP = `node_modules${path.sep}`

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'))
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** `dir/node_modules`, then each parent's, up to the root (where Node would resolve packages). */
export function nodeModulesChain(dir: string): string[] {
  const chain: string[] = []
  let current = path.resolve(dir)
  for (;;) {
    chain.push(path.join(current, 'node_modules'))
    const parent = path.dirname(current)
    if (parent === current) return chain
    current = parent
  }
}

/** A Capacitor plugin: a Cordova plugin.xml, or a `capacitor` block naming ios or android in package.json. */
function declaresNativePlugin(dir: string): boolean {
  if (existsSync(path.join(dir, 'plugin.xml'))) return true
  const pkg = readJson(path.join(dir, 'package.json'))
  const capacitor = pkg?.capacitor
  return (
    typeof capacitor === 'object' &&
    capacitor !== null &&
    ((capacitor as Record<string, unknown>).ios !== undefined ||
      (capacitor as Record<string, unknown>).android !== undefined)
  )
}

/** Capgo tests the part after the first `node_modules/` (so files under a nested node_modules never count). */
function hasNativeFiles(dir: string): boolean {
  const walk = (current: string): boolean => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name)
      if (entry.isDirectory()) {
        if (walk(full)) return true
      } else if (NATIVE_FILE.test(full.split(NODE_MODULES_SEP)[1] || full)) {
        return true
      }
    }
    return false
  }
  return walk(dir)
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  try {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name)
      return entry.isDirectory() ? listFiles(full) : [full]
    })
  } catch {
    return []
  }
}

/** podspecs and Package.swift (root and ios/) for iOS; android/build.gradle(.kts) for Android. */
function platformConfigFiles(dir: string, platform: 'ios' | 'android'): string[] {
  const files: string[] = []
  if (platform === 'ios') {
    try {
      for (const name of readdirSync(dir)) if (name.endsWith('.podspec')) files.push(path.join(dir, name))
    } catch {
      // unreadable package folder: no podspecs
    }
    for (const file of [path.join(dir, 'Package.swift'), path.join(dir, 'ios', 'Package.swift')])
      if (existsSync(file)) files.push(file)
  } else {
    for (const file of [path.join(dir, 'android', 'build.gradle'), path.join(dir, 'android', 'build.gradle.kts')])
      if (existsSync(file)) files.push(file)
  }
  return files
}

/** SHA-256 over (relative path, content) of each native and config file, or undefined when there is none. */
export function platformChecksum(dir: string, platform: 'ios' | 'android'): string | undefined {
  const sources = listFiles(path.join(dir, platform)).filter((file) => NATIVE_FILE.test(file))
  const all = [...sources, ...platformConfigFiles(dir, platform)].sort((a, b) => a.localeCompare(b))
  if (all.length === 0) return undefined
  const digest = createHash('sha256')
  for (const file of all) {
    try {
      digest.update(path.relative(dir, file))
      digest.update(readFileSync(file))
    } catch {
      // Capgo skips unreadable files (after hashing their path)
    }
  }
  return digest.digest('hex')
}

/** Dependencies then devDependencies, in file order; a name in both keeps its first place. */
function declaredDependencies(pkg: Record<string, unknown>): string[] {
  const names = new Set<string>()
  for (const field of ['dependencies', 'devDependencies']) {
    const block = pkg[field]
    if (block && typeof block === 'object') for (const name of Object.keys(block)) names.add(name)
  }
  return [...names]
}

function installedVersion(chain: string[], name: string): string | undefined {
  for (const modules of chain) {
    const version = readJson(path.join(modules, name, 'package.json'))?.version
    if (typeof version === 'string') return version
  }
  return undefined
}

export interface FingerprintOptions {
  /** The app's folder (package.json and node_modules), the action's `working-directory`. */
  workingDirectory: string
}

/**
 * Every dependency with native code for Capacitor: name, installed version and per-platform
 * checksums; plus the installed @capacitor/android and @capacitor/ios versions.
 */
export function computeNativeFingerprint(options: FingerprintOptions): NativeFingerprint {
  const dir = path.resolve(options.workingDirectory)
  const manifest = readJson(path.join(dir, 'package.json'))
  if (!manifest) {
    throw new LiveUpdateError(
      'native_package_json_missing',
      `No readable package.json in ${dir}: the native fingerprint needs the app's package.json and its node_modules. Set {{working-directory}} to the app folder, or {{native-compatibility}} to off.`,
      { stage: 'input', input: 'working-directory' },
    )
  }
  const chain = nodeModulesChain(dir)
  if (!chain.some((modules) => existsSync(modules))) {
    throw new LiveUpdateError(
      'native_node_modules_missing',
      `No node_modules in ${dir} or above it: install the app's dependencies (npm ci) before publishing, so the native plugins can be fingerprinted; or set {{native-compatibility}} to off.`,
      { stage: 'input', input: 'working-directory' },
    )
  }
  const packages: NativePackage[] = []
  const missing: string[] = []
  for (const name of declaredDependencies(manifest)) {
    let found = false
    let nativeDir: string | undefined
    let version: string | undefined
    for (const modules of chain) {
      const candidate = path.join(modules, name)
      if (!existsSync(candidate)) continue
      found = true
      const installed = readJson(path.join(candidate, 'package.json'))?.version
      if (typeof installed === 'string') version = installed
      if (!declaresNativePlugin(candidate)) continue
      if (hasNativeFiles(candidate)) {
        nativeDir = candidate
        break
      }
    }
    if (!found) {
      missing.push(name)
      continue
    }
    if (!nativeDir) continue
    const ios = platformChecksum(nativeDir, 'ios')
    const android = platformChecksum(nativeDir, 'android')
    packages.push({
      name,
      version: version ?? declaredSpec(manifest, name),
      ...(ios ? { ios_checksum: ios } : {}),
      ...(android ? { android_checksum: android } : {}),
    })
  }
  if (missing.length > 0) {
    throw new LiveUpdateError(
      'native_dependency_missing',
      `package.json lists ${missing.join(', ')} but ${missing.length === 1 ? 'it is' : 'they are'} not installed under ${dir}/node_modules: run your install (npm ci) before publishing, so the native fingerprint is complete; or set {{native-compatibility}} to off.`,
      { stage: 'input', input: 'working-directory' },
    )
  }
  const capacitor: NativeFingerprint['capacitor'] = {}
  const android = installedVersion(chain, '@capacitor/android')
  const ios = installedVersion(chain, '@capacitor/ios')
  if (android) capacitor.android = android
  if (ios) capacitor.ios = ios
  return { packages, capacitor }
}

/** Capgo falls back to the declared range without its ^ or ~ when the installed package has no version. */
function declaredSpec(pkg: Record<string, unknown>, name: string): string {
  for (const field of ['dependencies', 'devDependencies']) {
    const spec = (pkg[field] as Record<string, unknown> | undefined)?.[name]
    if (typeof spec === 'string') return spec.replace('^', '').replace('~', '')
  }
  return ''
}
