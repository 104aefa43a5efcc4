/**
 * action.yml and the code agree: the runner applies action.yml's defaults, but `node dist/index.js`
 * (and the CLI) get none, so INPUT_DEFAULTS must hold the same values; every input is read and
 * every output is produced. action.yml is simple YAML: a small line parser reads it (no yaml
 * dependency), and fails on anything it does not understand rather than guessing.
 */
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { outputsOf } from '../src/action/outputs.js'
import { INPUT_DEFAULTS } from '../src/core/config.js'
import { INPUT_NAMES } from '../src/core/inputs.js'
import type { PublishResult } from '../src/core/types.js'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

interface Entry {
  name: string
  fields: Record<string, string>
}

interface ActionYml {
  top: Record<string, string>
  sections: Record<string, Entry[]>
  runs: Record<string, string>
}

/** A YAML scalar as this file writes them: plain, 'single' or "double" quoted. */
function scalar(text: string): string {
  const value = text.trim()
  if (value.startsWith("'")) {
    if (!value.endsWith("'") || value.length < 2) throw new Error(`unterminated quote: ${value}`)
    return value.slice(1, -1).replace(/''/g, "'")
  }
  if (value.startsWith('"')) return JSON.parse(value) as string
  return value
}

function parseActionYml(text: string): ActionYml {
  const result: ActionYml = { top: {}, sections: {}, runs: {} }
  let section: string | undefined
  let entry: Entry | undefined
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\s+$/, '')
    if (line === '' || line.trimStart().startsWith('#')) return
    const fail = () => {
      throw new Error(`action.yml line ${index + 1} is not understood by this parser: ${raw}`)
    }
    let match: RegExpExecArray | null
    if ((match = /^([a-z][\w-]*):(?: (.*))?$/.exec(line))) {
      section = match[1]
      entry = undefined
      if (match[2] !== undefined) result.top[section] = scalar(match[2])
      else if (section !== 'runs' && section !== 'branding') result.sections[section] = []
    } else if ((match = /^ {2}([\w-]+):(?: (.*))?$/.exec(line))) {
      if (section === 'runs') result.runs[match[1]] = scalar(match[2] ?? fail())
      else if (section === 'branding') return
      else if (section && result.sections[section] && match[2] === undefined) result.sections[section].push((entry = { name: match[1], fields: {} }))
      else fail()
    } else if ((match = /^ {4}([\w-]+): (.*)$/.exec(line))) {
      if (!entry) fail()
      entry!.fields[match[1]] = scalar(match[2])
    } else {
      fail()
    }
  })
  return result
}

const action = parseActionYml(readFileSync(path.join(repo, 'action.yml'), 'utf8'))
const inputs = action.sections.inputs ?? []
const outputs = action.sections.outputs ?? []

describe('action.yml', () => {
  it('is parsed: name, description, inputs and outputs with descriptions', () => {
    expect(action.top.name).toBeTruthy()
    expect(action.top.description).toBeTruthy()
    expect(inputs.length).toBeGreaterThan(20)
    expect(outputs.length).toBeGreaterThan(10)
    for (const entry of [...inputs, ...outputs]) expect({ name: entry.name, description: Boolean(entry.fields.description) }).toEqual({ name: entry.name, description: true })
    // Nothing here is required: every value has a default or is derived.
    for (const entry of inputs) expect({ name: entry.name, required: entry.fields.required }).toEqual({ name: entry.name, required: 'false' })
  })

  it('runs on node24 from dist/index.js', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' })
  })

  it('declares exactly the inputs the code reads (INPUT_NAMES), in the same order', () => {
    expect(inputs.map((entry) => entry.name)).toEqual([...INPUT_NAMES])
  })

  it("has the same defaults as the code's INPUT_DEFAULTS (github-token's is the runner's token)", () => {
    const declared = Object.fromEntries(inputs.filter((entry) => entry.fields.default !== undefined).map((entry) => [entry.name, entry.fields.default]))
    expect(declared['github-token']).toBe('${{ github.token }}')
    delete declared['github-token']
    expect(declared).toEqual(INPUT_DEFAULTS)
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
    expect(Object.keys(outputsOf(result)).sort()).toEqual(outputs.map((entry) => entry.name).sort())
  })

  it('the parser reads quoting and refuses what it does not understand', () => {
    expect(parseActionYml("inputs:\n  a:\n    default: 'it''s'\n  b:\n    default: \"x\\ty\"\n  c:\n    default: public, max-age=1\n").sections.inputs.map((entry) => entry.fields.default)).toEqual(["it's", 'x\ty', 'public, max-age=1'])
    expect(() => parseActionYml('inputs:\n  a:\n    default: |\n      block\n')).toThrow(/not understood/)
  })
})
