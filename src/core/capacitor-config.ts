/**
 * Reading appId, webDir and the updater public key from a Capacitor project, and writing the
 * public key into capacitor.config.json.
 *
 * TypeScript/JavaScript configs are read by static text extraction, never executed: running a
 * project's config file in CI would run arbitrary code with the signing key in the environment.
 */
import { access, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { LiveUpdateError } from './errors.js'
import { loadPublicKey } from './keys.js'
import type { InputErrorCode } from './error-codes.js'

export interface CapacitorConfigInfo {
  /** Absolute path of the config file found, if any. */
  file?: string
  appId?: string
  webDir?: string
  /** plugins.CapacitorUpdater.publicKey, as written (the full PEM text). */
  publicKey?: string
}

/** Looked up in this order, like the Capacitor CLI. */
const CONFIG_FILES = [
  'capacitor.config.json',
  'capacitor.config.ts',
  'capacitor.config.js',
  'capacitor.config.mjs',
  'capacitor.config.cjs',
]

function configError(code: InputErrorCode, message: string): LiveUpdateError {
  return new LiveUpdateError(code, message, { stage: 'input', input: 'working-directory' })
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  )
}

async function readJsonConfig(file: string): Promise<Record<string, unknown>> {
  const text = await readFile(file, 'utf8')
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw configError(
      'input_capacitor_config_invalid',
      `${file} is not valid JSON (${(error as Error).message}). Fix the file, or set the inputs it would provide explicitly.`,
    )
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw configError('input_capacitor_config_invalid', `${file} must hold a JSON object.`)
  }
  return parsed as Record<string, unknown>
}

function stringAt(value: unknown, ...keys: string[]): string | undefined {
  let current = value
  for (const key of keys) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return typeof current === 'string' ? current : undefined
}

/** Undo JS string escapes that can appear in a PEM or id literal. */
function unescapeJs(body: string): string {
  return body.replace(/\\(\r?\n|u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/gs, (_match, escape: string) => {
    if (escape === '\n' || escape === '\r\n') return '' // line continuation
    if (escape.startsWith('u{')) return String.fromCodePoint(parseInt(escape.slice(2, -1), 16))
    if (escape.length > 1 && (escape[0] === 'u' || escape[0] === 'x'))
      return String.fromCharCode(parseInt(escape.slice(1), 16))
    const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0', b: '\b', f: '\f', v: '\v' }
    return simple[escape] ?? escape
  })
}

/**
 * The first `key: '...'` / "..." / `...` literal in a config's source. A template literal with
 * `${...}` (or any non-literal value) cannot be known without running the code: undefined.
 */
export function extractStringProperty(source: string, key: string): string | undefined {
  const pattern = new RegExp(`(?:^|[\\s{,])['"]?${key}['"]?\\s*:\\s*(['"\`])((?:\\\\[\\s\\S]|(?!\\1)[^\\\\])*)\\1`, 'm')
  const match = pattern.exec(source)
  if (!match) return undefined
  const [, quote, body] = match
  if (quote === '`' && body.includes('${')) return undefined
  return unescapeJs(quote === '`' ? body.replace(/\r\n/g, '\n') : body)
}

/** appId, webDir and publicKey from the project's capacitor.config, or {} when there is none. */
export async function readCapacitorConfig(projectDir: string): Promise<CapacitorConfigInfo> {
  for (const name of CONFIG_FILES) {
    const file = path.resolve(projectDir, name)
    if (!(await exists(file))) continue
    if (name.endsWith('.json')) {
      const config = await readJsonConfig(file)
      return {
        file,
        appId: stringAt(config, 'appId'),
        webDir: stringAt(config, 'webDir'),
        publicKey: stringAt(config, 'plugins', 'CapacitorUpdater', 'publicKey'),
      }
    }
    const source = await readFile(file, 'utf8')
    return {
      file,
      appId: extractStringProperty(source, 'appId'),
      webDir: extractStringProperty(source, 'webDir'),
      publicKey: extractStringProperty(source, 'publicKey'),
    }
  }
  return {}
}

/**
 * Set plugins.CapacitorUpdater.publicKey in a capacitor.config.json, keeping everything else.
 * Code configs (.ts/.js) are not rewritten: the user pastes the printed snippet.
 */
export async function writePublicKeyToConfig(file: string, publicPem: string): Promise<void> {
  // Refuse to write anything the plugin would reject (SPKI, private keys, wrong size).
  loadPublicKey(publicPem, 'public key')
  if (!file.endsWith('.json')) {
    throw new LiveUpdateError(
      'input_capacitor_config_not_json',
      `${file} is code, which is not rewritten automatically. Add this to its config object yourself (the public key is not secret), then run 'npx cap sync':\n  plugins: { CapacitorUpdater: { publicKey: ${JSON.stringify(publicPem)} } }`,
      { stage: 'input', input: 'config' },
    )
  }
  const config = await readWritableJsonConfig(file)
  const plugins = isObject(config.plugins) ? config.plugins : {}
  const updater = isObject(plugins.CapacitorUpdater) ? plugins.CapacitorUpdater : {}
  const updated = { ...config, plugins: { ...plugins, CapacitorUpdater: { ...updater, publicKey: publicPem } } }
  await writeFile(file, `${JSON.stringify(updated, null, 2)}\n`)
}

/**
 * The JSON config `writePublicKeyToConfig` would rewrite, read now: lets `key create --config` fail
 * on a missing or broken file before it writes any key (code configs pass: they get a snippet).
 */
export async function checkConfigWritable(file: string): Promise<void> {
  if (file.endsWith('.json')) await readWritableJsonConfig(file)
}

async function readWritableJsonConfig(file: string): Promise<Record<string, unknown>> {
  if (!(await exists(file)))
    throw new LiveUpdateError('input_capacitor_config_missing', `${file} does not exist.`, {
      stage: 'input',
      input: 'config',
    })
  return readJsonConfig(file)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
