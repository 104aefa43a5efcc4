import { describe, expect, it } from '@jest/globals'
import { cliFlagOf, INPUT_DEFAULTS, renderField, renderFields, SECRET_INPUTS } from '../../src/core/inputs/index.js'

describe('field references', () => {
  it('each adapter renders a field its own way', () => {
    const message = 'Set {{s3-bucket}}, {{compression-level}}, {{private-key}} or {{private-key-file}}; not {{out}} nor {{summary}}.'
    expect(renderFields(message, 'action')).toBe("Set 's3-bucket', 'compression-level', 'private-key' or 'private-key-file'; not 'out' nor 'summary'.")
    expect(renderFields(message, 'cli')).toBe("Set --s3-bucket, --level, LIVE_UPDATE_PRIVATE_KEY or --private-key; not --out nor 'summary'.")
    expect(renderField('file-or-url', 'cli')).toBe('<file-or-url>')
    // Single braces are template placeholders, not field references.
    expect(renderFields('{key} and {appId}', 'cli')).toBe('{key} and {appId}')
  })

  it('the table drives flags, defaults and masking', () => {
    expect(cliFlagOf('compression-level')).toBe('level')
    expect(cliFlagOf('private-key')).toBeUndefined()
    expect(cliFlagOf('github-token')).toBeUndefined()
    expect(INPUT_DEFAULTS).toMatchObject({ channel: 'production', 'tag-prefix': 'v', 'compression-level': '6' })
    expect([...SECRET_INPUTS].sort()).toEqual(['capgo-api-key', 'github-token', 'private-key', 's3-access-key-id', 's3-secret-access-key', 'webhook-secret'])
  })
})
