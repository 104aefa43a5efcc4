/**
 * The layout rules on their own (no zip, no crypto): each refusal names the entry and says why;
 * the accepted edge cases stay accepted. The same rules are checked against the plugin's Android
 * code in test/plugin-android.test.ts.
 */
import { describe, expect, it } from '@jest/globals'
import { checkBundleEntryNames, MAX_COMPONENT_BYTES, MAX_NAME_BYTES } from '../../src/core/device-layout.js'
import type { ZipEntry } from '../../src/core/zip/reader.js'

function entry(name: string | Buffer, over: Partial<ZipEntry> = {}): ZipEntry {
  const rawName = Buffer.isBuffer(name) ? name : Buffer.from(name)
  return {
    name: rawName.toString('utf8'),
    rawName,
    method: 8,
    flags: 0x800,
    crc32: 0,
    compressedSize: 2,
    size: 0,
    localHeaderOffset: 0,
    madeBy: 3,
    externalAttributes: 0o100644 << 16,
    ...over,
  }
}
const check =
  (...names: (string | ZipEntry)[]) =>
  () =>
    checkBundleEntryNames([entry('index.html'), ...names.map((n) => (typeof n === 'string' ? entry(n) : n))])

describe('device layout rules', () => {
  it.each([
    ["a './' entry", check(entry('./')), /names the bundle folder itself/],
    ['invalid UTF-8', check(entry(Buffer.from([0x61, 0xff]))), /not valid UTF-8 \(bytes 61ff\)/],
    ['non-ASCII without the UTF-8 flag', check(entry('café.js', { flags: 0 })), /CP437/],
    ['a symlink', check(entry('l.js', { externalAttributes: (0o120777 << 16) >>> 0 })), /'l\.js' is a symbolic link/],
    ['a file that is also a folder', check('lib', 'lib/a.js'), /'lib' is a file, and also a folder/],
    ['two names for one path', check('a/./b.js', 'a//b.js'), /'a\/\.\/b\.js' and 'a\/\/b\.js' are the same file/],
    ['NFC/NFD twins', check('caf\u00e9.js', 'cafe\u0301.js'), /differ only in Unicode normalization/],
    [
      'NFC/NFD twins in a folder name',
      check('caf\u00e9/a.js', 'cafe\u0301/b.js'),
      /differ only in Unicode normalization/,
    ],
    [
      'a long component',
      check(`${'x'.repeat(MAX_COMPONENT_BYTES + 1)}`),
      new RegExp(`component of ${MAX_COMPONENT_BYTES + 1} bytes`),
    ],
    ['a long name', check(`${'d/'.repeat(MAX_NAME_BYTES / 2)}x`), new RegExp(`${MAX_NAME_BYTES + 1}-byte name`)],
    ['a duplicate', check('a.js', 'a.js'), /'a\.js' appears twice/],
  ])('refuses %s', (_label, run, message) => {
    expect(run).toThrow(message)
  })

  it.each([
    ['./index.html instead of index.html', () => checkBundleEntryNames([entry('./index.html')])],
    ['duplicate folder entries', check('a/', 'a/', 'a/b.js')],
    [
      'a 255-byte component and an 800-byte name',
      check(`${'y'.repeat(MAX_COMPONENT_BYTES)}`, `${'d/'.repeat(MAX_NAME_BYTES / 2 - 1)}xy`),
    ],
    ['a non-ASCII name with the UTF-8 flag', check('café.js')],
    ['a regular file made on Windows (no Unix mode)', check(entry('w.js', { madeBy: 0, externalAttributes: 0x20 }))],
  ])('accepts %s', (_label, run) => {
    expect(run).not.toThrow()
  })
})
