import { describe, expect, it } from '@jest/globals'
import type { ZipSourceEntry } from '../../src/core/zip/scan.js'
import { writeOrder } from '../../src/core/zip/write-order.js'

const file = (name: string, size: number): ZipSourceEntry => ({ name, size, file: `/app/${name}`, isDirectory: false })
const folder = (name: string): ZipSourceEntry => ({ name, size: 0, isDirectory: true })

describe('writeOrder', () => {
  it('puts folders first, then mixes text and media by bytes, each kind in name order', () => {
    // A name-ordered build: 40 text bytes under assets/, then 40 media bytes under img/.
    const scanned = [
      folder('assets/'),
      file('assets/a.js', 10),
      file('assets/b.js', 10),
      file('assets/c.js', 10),
      file('assets/d.js', 10),
      folder('img/'),
      file('img/1.png', 20),
      file('img/2.png', 20),
      file('index.html', 0),
    ]
    const names = writeOrder(scanned).map((entry) => entry.name)
    expect(names).toEqual([
      'assets/',
      'img/',
      'assets/a.js',
      'img/1.png',
      'assets/b.js',
      'assets/c.js',
      'img/2.png',
      'assets/d.js',
      'index.html',
    ])
  })

  it('keeps every entry exactly once, and is the same for the same input', () => {
    const scanned = Array.from({ length: 200 }, (_, i) =>
      file(`f${String(i).padStart(3, '0')}.${i % 3 ? 'js' : 'webp'}`, (i * 7919) % 5000),
    )
    const once = writeOrder(scanned)
    expect(new Set(once)).toEqual(new Set(scanned))
    expect(once).toHaveLength(scanned.length)
    expect(writeOrder(scanned)).toEqual(once)
  })

  it('leaves a build of one kind in name order', () => {
    const scanned = [folder('a/'), file('a/x.js', 5), file('b.css', 9), file('index.html', 3)]
    expect(writeOrder(scanned)).toEqual(scanned)
  })
})
