import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createPublicKey } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { readCapacitorConfig, writePublicKeyToConfig } from '../src/core/capacitor-config.js'
import { LiveUpdateError } from '../src/core/errors.js'
import { createKeyPair } from '../src/core/keys.js'
import { removeDir, tempDir } from './support/folders.js'

let work: string
// Made at load time: it.each below builds its table from it.
const publicPem = createKeyPair().publicKeyPem
let projectCount = 0

beforeAll(async () => {
  work = await tempDir('live-update-capconfig-')
})

afterAll(async () => {
  await removeDir(work)
})

async function project(files: Record<string, string>): Promise<string> {
  const dir = path.join(work, `project-${++projectCount}`)
  await mkdir(dir)
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content)
  return dir
}

/** The PEM as a one-line JS literal with \n escapes, as people paste it into a .ts config. */
const escapedLiteral = (pem: string, quote: string) => `${quote}${pem.replace(/\n/g, '\\n')}${quote}`

describe('readCapacitorConfig', () => {
  it('reads appId, webDir and the updater public key from capacitor.config.json', async () => {
    const dir = await project({
      'capacitor.config.json': JSON.stringify({
        appId: 'com.example.app',
        appName: 'x',
        webDir: 'www',
        plugins: { CapacitorUpdater: { publicKey: publicPem } },
      }),
    })
    expect(await readCapacitorConfig(dir)).toEqual({
      file: path.join(dir, 'capacitor.config.json'),
      appId: 'com.example.app',
      webDir: 'www',
      publicKey: publicPem,
    })
  })

  it('names the file when the JSON is invalid', async () => {
    const dir = await project({ 'capacitor.config.json': '{ "appId": "com.example.app", }' })
    const error = await readCapacitorConfig(dir).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LiveUpdateError)
    expect(error).toMatchObject({ code: 'input_capacitor_config_invalid', stage: 'input' })
    expect((error as Error).message).toContain(path.join(dir, 'capacitor.config.json'))
  })

  it.each([
    ['single quotes with \\n escapes', escapedLiteral(publicPem, "'")],
    ['double quotes with \\n escapes', escapedLiteral(publicPem, '"')],
    ['a template literal with real newlines', `\`${publicPem}\``],
  ])('extracts a .ts config statically: %s', async (_label, literal) => {
    const dir = await project({
      'capacitor.config.ts': `import type { CapacitorConfig } from '@capacitor/cli';

const config: CapacitorConfig = {
  appId: 'com.example.ts',
  appName: "TS app",
  webDir: "dist",
  plugins: {
    CapacitorUpdater: {
      autoUpdate: false,
      publicKey: ${literal},
    },
  },
};

export default config;
`,
    })
    expect(await readCapacitorConfig(dir)).toEqual({
      file: path.join(dir, 'capacitor.config.ts'),
      appId: 'com.example.ts',
      webDir: 'dist',
      publicKey: publicPem,
    })
  })

  it('does not guess values it cannot know without running code', async () => {
    const dir = await project({
      'capacitor.config.js':
        "module.exports = { appId: 'com.example.js', webDir: process.env.WEB_DIR, plugins: { CapacitorUpdater: { publicKey: `${key}` } } }\n",
    })
    expect(await readCapacitorConfig(dir)).toEqual({
      file: path.join(dir, 'capacitor.config.js'),
      appId: 'com.example.js',
      webDir: undefined,
      publicKey: undefined,
    })
  })

  it('prefers capacitor.config.json, and returns {} when there is no config', async () => {
    const dir = await project({
      'capacitor.config.json': JSON.stringify({ appId: 'com.example.json' }),
      'capacitor.config.ts': "export default { appId: 'com.example.ts' }\n",
    })
    expect((await readCapacitorConfig(dir)).appId).toBe('com.example.json')
    expect(await readCapacitorConfig(await project({}))).toEqual({})
  })
})

describe('writePublicKeyToConfig', () => {
  it('sets plugins.CapacitorUpdater.publicKey, keeping everything else, as 2-space JSON with a trailing newline', async () => {
    const original = {
      appId: 'com.example.app',
      webDir: 'dist',
      server: { androidScheme: 'https' },
      plugins: { SplashScreen: { launchShowDuration: 0 }, CapacitorUpdater: { autoUpdate: true, publicKey: 'old' } },
    }
    const dir = await project({ 'capacitor.config.json': JSON.stringify(original) })
    const file = path.join(dir, 'capacitor.config.json')
    await writePublicKeyToConfig(file, publicPem)
    const text = await readFile(file, 'utf8')
    const expected = {
      ...original,
      plugins: { ...original.plugins, CapacitorUpdater: { autoUpdate: true, publicKey: publicPem } },
    }
    expect(text).toBe(`${JSON.stringify(expected, null, 2)}\n`)
    expect((await readCapacitorConfig(dir)).publicKey).toBe(publicPem)
  })

  it('adds the plugins section when missing', async () => {
    const dir = await project({ 'capacitor.config.json': '{"appId":"com.example.app"}' })
    await writePublicKeyToConfig(path.join(dir, 'capacitor.config.json'), publicPem)
    expect(JSON.parse(await readFile(path.join(dir, 'capacitor.config.json'), 'utf8'))).toEqual({
      appId: 'com.example.app',
      plugins: { CapacitorUpdater: { publicKey: publicPem } },
    })
  })

  it('does not rewrite a .ts config: tells the user what to paste', async () => {
    const source = "export default { appId: 'com.example.ts' }\n"
    const dir = await project({ 'capacitor.config.ts': source })
    const file = path.join(dir, 'capacitor.config.ts')
    const error = await writePublicKeyToConfig(file, publicPem).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'input_capacitor_config_not_json' })
    expect((error as Error).message).toContain('CapacitorUpdater')
    expect((error as Error).message).toContain(JSON.stringify(publicPem))
    expect(await readFile(file, 'utf8')).toBe(source)
  })

  it('refuses to write a key form the plugin would reject (SPKI)', async () => {
    const dir = await project({ 'capacitor.config.json': '{"appId":"com.example.app"}' })
    const file = path.join(dir, 'capacitor.config.json')
    const spki = createPublicKey(publicPem).export({ type: 'spki', format: 'pem' }).toString()
    await expect(writePublicKeyToConfig(file, spki)).rejects.toMatchObject({ code: 'keys_public_key_spki' })
    expect(await readFile(file, 'utf8')).toBe('{"appId":"com.example.app"}')
  })
})
