/**
 * The README is checked against the code: every Troubleshooting row quotes a message the code
 * really prints, every relative link and in-page anchor resolves, and every workflow snippet is
 * valid YAML whose `with:` keys are real inputs.
 */
import { describe, expect, it } from '@jest/globals'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'
import { INPUT_NAMES } from '../../src/core/inputs/index.js'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const readme = readFileSync(path.join(repo, 'README.md'), 'utf8')

function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name)
    if (statSync(file).isDirectory()) return filesUnder(file, ext)
    return file.endsWith(ext) ? [file] : []
  })
}

const sourceLines = filesUnder(path.join(repo, 'src'), '.ts').flatMap((file) => readFileSync(file, 'utf8').split('\n'))

/** The lines of a `## title` section, up to the next `## `. */
function section(text: string, title: string): string {
  const start = text.indexOf(`\n## ${title}\n`)
  if (start === -1) throw new Error(`no section ${title}`)
  const end = text.indexOf('\n## ', start + 1)
  return text.slice(start, end === -1 ? undefined : end)
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces as dashes. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

describe('README', () => {
  const rows = section(readme, 'Troubleshooting')
    .split('\n')
    .filter((line) => /^\| `/.test(line))
    .map((line) => /^\| `([^`]+)`/.exec(line)![1])

  it('has a Troubleshooting table', () => {
    expect(rows.length).toBeGreaterThan(10)
  })

  it.each(rows)('Troubleshooting quotes what the code prints: %s', (quote) => {
    // '…' stands for a value the message interpolates: the literal pieces must appear, in order, on one source line.
    const pieces = quote
      .split('…')
      .map((piece) => piece.trim())
      .filter(Boolean)
    const found = sourceLines.some((line) => {
      // Core messages name fields as {{name}}; users see 'name' (action) or --name (CLI).
      const rendered = line.replace(/\{\{([a-z0-9-]+)\}\}/g, "'$1'")
      let at = 0
      for (const piece of pieces) {
        at = rendered.indexOf(piece, at)
        if (at === -1) return false
        at += piece.length
      }
      return true
    })
    expect({ quote, found }).toEqual({ quote, found: true })
  })

  it('keeps the sections other work fills in', () => {
    expect(readme).toMatch(/^## Release management$/m)
    expect(readme).toMatch(/^## Fully self-hosted$/m)
  })

  it('every workflow snippet is YAML, and the action is given only real inputs', () => {
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1])
    expect(blocks.length).toBeGreaterThan(4)
    const used: string[] = []
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk)
      else if (node && typeof node === 'object') {
        const record = node as Record<string, unknown>
        if (typeof record.uses === 'string' && record.uses.includes('capacitor-live-update-action') && record.with)
          used.push(...Object.keys(record.with as object))
        Object.values(record).forEach(walk)
      }
    }
    for (const block of blocks) {
      // A snippet may be a list of steps indented as in a workflow: dedent it first.
      const indent = Math.min(
        ...block
          .split('\n')
          .filter((line) => line.trim())
          .map((line) => /^ */.exec(line)![0].length),
      )
      const text = block
        .split('\n')
        .map((line) => line.slice(indent))
        .join('\n')
      const docs = parseAllDocuments(text)
      for (const doc of docs) expect(doc.errors).toEqual([])
      docs.forEach((doc) => walk(doc.toJS()))
    }
    expect(used.length).toBeGreaterThan(10)
    for (const name of used) expect(INPUT_NAMES).toContain(name)
  })
})

describe('links', () => {
  const documents = [
    path.join(repo, 'README.md'),
    path.join(repo, 'CHANGELOG.md'),
    ...filesUnder(path.join(repo, 'docs'), '.md'),
  ]
  it.each(documents.map((file) => [path.relative(repo, file), file]))(
    'every relative link in %s resolves',
    (_name, file) => {
      const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '')
      const anchors = new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((match) => slug(match[1])))
      const broken: string[] = []
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^<?[a-z]+:/i.test(target)) continue
        const [file_, anchor] = target.split('#')
        if (file_ === '') {
          if (!anchors.has(anchor)) broken.push(target)
        } else if (!existsSync(path.resolve(path.dirname(file), file_))) {
          broken.push(target)
        }
      }
      expect(broken).toEqual([])
    },
  )
})
