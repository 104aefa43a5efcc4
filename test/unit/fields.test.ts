import { describe, expect, it } from '@jest/globals'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { InputErrors } from '../../src/core/error-codes.js'
import { cliFlagOf, INPUT_DEFAULTS, renderField, renderFields, SECRET_INPUTS } from '../../src/core/inputs/index.js'
import { createStore } from '../../src/core/storage/index.js'

const testRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) =>
    statSync(path.join(dir, name)).isDirectory() ? walk(path.join(dir, name)) : [path.join(dir, name)],
  )

describe('field references', () => {
  it('each adapter renders a field its own way', () => {
    const message =
      'Set {{s3-bucket}}, {{compression-level}}, {{private-key}} or {{private-key-file}}; not {{out}} nor {{summary}}.'
    expect(renderFields(message, 'action')).toBe(
      "Set 's3-bucket', 'compression-level', 'private-key' or 'private-key-file'; not 'out' nor 'summary'.",
    )
    expect(renderFields(message, 'cli')).toBe(
      "Set --s3-bucket, --level, LIVE_UPDATE_PRIVATE_KEY or --private-key; not --out nor 'summary'.",
    )
    expect(renderField('file-or-url', 'cli')).toBe('<file-or-url>')
    // Single braces are template placeholders, not field references.
    expect(renderFields('{key} and {appId}', 'cli')).toBe('{key} and {appId}')
  })

  it('the table drives flags, defaults and masking', () => {
    expect(cliFlagOf('compression-level')).toBe('level')
    expect(cliFlagOf('private-key')).toBeUndefined()
    expect(cliFlagOf('github-token')).toBeUndefined()
    expect(INPUT_DEFAULTS).toMatchObject({ channel: 'production', 'tag-prefix': 'v', 'compression-level': '6' })
    expect([...SECRET_INPUTS].sort()).toEqual([
      'capgo-api-key',
      'github-token',
      'private-key',
      's3-access-key-id',
      's3-secret-access-key',
      'webhook-secret',
    ])
  })
})

describe('the input catalogue', () => {
  it('every input_* error code is exercised by some test', () => {
    const tests = walk(testRoot)
      .filter((file) => file.endsWith('.test.ts'))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n')
    expect(Object.keys(InputErrors).filter((code) => !tests.includes(code))).toEqual([])
  })

  it('a store used without storage (a dry run bug) says so at stage input', async () => {
    await expect(
      createStore({ kind: 'none' }).put('k', {
        size: 0,
        open: () => {
          throw new Error('not opened')
        },
      }),
    ).rejects.toMatchObject({ code: 'input_storage_missing', stage: 'input', field: 's3-bucket' })
  })
})
