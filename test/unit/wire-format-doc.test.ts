/** docs/wire-format.md is the byte contract the code cites: every citation must land on a section. */
import { describe, expect, it } from '@jest/globals'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const doc = readFileSync(path.join(repo, 'docs', 'wire-format.md'), 'utf8')
const headings = [...doc.matchAll(/^## (\d+)\. (.+)$/gm)].map((match) => ({
  number: match[1]!,
  text: `${match[1]}. ${match[2]}`,
}))

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
const anchorOf = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-')

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name)
    return statSync(file).isDirectory() ? sources(file) : /\.(ts|mjs|md)$/.test(name) ? [file] : []
  })
}

describe('docs/wire-format.md', () => {
  const files = [...sources(path.join(repo, 'src')), ...sources(path.join(repo, 'docs')), path.join(repo, 'README.md')]
  const citing = files
    .map((file) => ({ file, text: readFileSync(file, 'utf8') }))
    .filter(({ text }) => text.includes('wire-format'))

  it('has the numbered sections 1 to 7', () => {
    expect(headings.map((heading) => heading.number)).toEqual(['1', '2', '3', '4', '5', '6', '7'])
  })

  it('every "wire-format §N" citation names the document by its path and an existing section', () => {
    expect(citing.length).toBeGreaterThan(3)
    for (const { file, text } of citing) {
      for (const match of text.matchAll(/[[\w./-]*wire-format(?:\.md)? §(\d+)/g)) {
        expect(`${path.relative(repo, file)}: ${match[0]}`).toMatch(/: \[?docs\/wire-format\.md §\d+$/)
        expect(headings.map((heading) => heading.number)).toContain(match[1])
      }
    }
  })

  it('every link into it lands on a heading', () => {
    const anchors = headings.map((heading) => anchorOf(heading.text))
    for (const { text } of citing) {
      for (const match of text.matchAll(/wire-format\.md#([\w-]+)/g)) expect(anchors).toContain(match[1])
    }
  })
})
