/**
 * action.yml, the README's input table and the code agree: both files are generated from the input
 * table (npm run gen:docs), and action.yml is also read back with a YAML parser and compared with
 * the table field by field, so a hand edit or a quoting mistake in the generator fails here.
 */
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { renderActionInputs, withActionInputs, withReadmeInputs, yamlScalar } from '../src/action/docs.js'
import { outputsOf } from '../src/action/outputs.js'
import { INPUT_DEFAULTS, INPUTS, SECRET_INPUTS, type InputSpec } from '../src/core/inputs/index.js'
import type { PublishResult } from '../src/core/types.js'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const actionText = readFileSync(path.join(repo, 'action.yml'), 'utf8')
const action = parse(actionText) as {
  name: string
  description: string
  author: string
  runs: Record<string, string>
  inputs: Record<string, { description: string; required: boolean; default?: string }>
  outputs: Record<string, { description: string }>
}
const table = INPUTS as readonly InputSpec[]

describe('action.yml', () => {
  it('is what npm run gen:docs writes from the input table (and so is the README table)', () => {
    expect(withActionInputs(actionText)).toBe(actionText)
    const readme = readFileSync(path.join(repo, 'README.md'), 'utf8')
    expect(withReadmeInputs(readme)).toBe(readme)
  })

  it('declares exactly the table inputs, in order, with their descriptions and defaults', () => {
    expect(Object.keys(action.inputs)).toEqual(table.map((input) => input.name))
    for (const input of table) {
      expect({ name: input.name, ...action.inputs[input.name] }).toEqual({
        name: input.name,
        description: input.description,
        // Nothing is required: every value has a default or is derived.
        required: false,
        ...((input.actionDefault ?? input.default) !== undefined
          ? { default: input.actionDefault ?? input.default }
          : {}),
      })
    }
    expect(action.inputs['github-token'].default).toBe('${{ github.token }}')
  })

  it('says "Masked" exactly for the secret inputs', () => {
    const masked = table
      .filter((input) => /\bMasked\b/.test(action.inputs[input.name].description))
      .map((input) => input.name)
    expect(masked).toEqual([...SECRET_INPUTS])
    expect(SECRET_INPUTS).toEqual(
      expect.arrayContaining([
        'private-key',
        's3-secret-access-key',
        'capgo-api-key',
        'webhook-secret',
        'github-token',
      ]),
    )
  })

  it('every default the code applies is a valid value of its kind', () => {
    for (const input of table) {
      const value = INPUT_DEFAULTS[input.name as keyof typeof INPUT_DEFAULTS]
      if (value === undefined) continue
      if (input.kind === 'choice') expect(input.choices).toContain(value)
      if (input.kind === 'boolean') expect(['true', 'false']).toContain(value)
      if (input.kind === 'int') expect(Number(value)).toBeGreaterThanOrEqual(input.min!)
    }
  })

  it('runs on node24 from dist/index.js, with Marketplace-sized metadata', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' })
    expect(action.description.length).toBeLessThanOrEqual(125)
    expect(action.author).not.toBe('capacitor-live-update-action')
  })

  it('declares exactly the outputs the action sets', () => {
    const result: PublishResult = {
      status: 'published',
      appId: 'com.example.app',
      version: '1.0.0',
      channel: 'production',
      verified: true,
      registrar: 'capgo',
      timings: [],
      bundle: {
        checksum: 'c'.repeat(512),
        sha256: 'a'.repeat(64),
        sessionKey: 'iv:key',
        keyId: 'MIIBCgKCAQEAexample0',
        zipSize: 10,
        encryptedSize: 16,
        fileCount: 1,
      } as PublishResult['bundle'],
    }
    expect(Object.keys(outputsOf(result)).sort()).toEqual(Object.keys(action.outputs).sort())
  })

  it('the generator quotes what YAML would read as something else', () => {
    const values = [
      'true',
      '6',
      '{appId}/{version}/{hash}.zip',
      '${{ github.token }}',
      "it's",
      'a: b',
      'x #y',
      '-x',
      'plain text, e.g. "quoted".',
      'public, max-age=1',
    ]
    for (const value of values) expect(parse(`k: ${yamlScalar(value)}`)).toEqual({ k: value })
    expect(parse(renderActionInputs()).inputs['compression-level'].default).toBe('6')
  })
})
