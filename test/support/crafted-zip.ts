/**
 * Hand-made zip bytes for the layouts real tools refuse to write (backslashes, `..`, STORED with a
 * data descriptor) and the `zip` command for ordinary ones. Independent of src/core/zip*.
 */
import { execFile } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { crc32, deflateRawSync } from 'node:zlib'

const run = promisify(execFile)

export interface CraftedEntry {
  name: string
  data: Buffer | string
  /** 0 stored, 8 deflated (default 8). */
  method?: 0 | 8
  /** Write CRC/sizes in a data descriptor after the data (flag bit 3) instead of the local header. */
  descriptor?: boolean
  /** Write this CRC-32 in every header instead of the real one. */
  crcOverride?: number
  /** The name bytes as stored (instead of the UTF-8 of `name`), e.g. invalid UTF-8. */
  rawName?: Buffer
  /** Set flag bit 11 (the name is UTF-8); default true. */
  utf8Flag?: boolean
  /** Bytes appended after the deflate stream, counted in the compressed size (Java: "invalid entry compressed size"). */
  trailingJunk?: Buffer
  /** Unix mode in the central directory's external attributes (made by Unix), e.g. 0o120777 for a symlink. */
  unixMode?: number
}

export interface CraftedZipOptions {
  /** Bytes between the last entry and the central directory. */
  gapBeforeCentral?: Buffer
}

/** A complete zip: local headers in order, central directory, end record. */
export function craftZip(entries: CraftedEntry[], options: CraftedZipOptions = {}): Buffer {
  const parts: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  for (const entry of entries) {
    const data = Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data)
    const method = entry.method ?? 8
    const deflated = method === 8 ? deflateRawSync(data) : data
    const body = entry.trailingJunk ? Buffer.concat([deflated, entry.trailingJunk]) : deflated
    const name = entry.rawName ?? Buffer.from(entry.name, 'utf8')
    const crc = entry.crcOverride ?? crc32(data)
    const flags = (entry.utf8Flag === false ? 0 : 0x800) | (entry.descriptor ? 0x8 : 0)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(flags, 6)
    local.writeUInt16LE(method, 8)
    local.writeUInt16LE(0, 10)
    local.writeUInt16LE(0x21, 12)
    local.writeUInt32LE(entry.descriptor ? 0 : crc, 14)
    local.writeUInt32LE(entry.descriptor ? 0 : body.length, 18)
    local.writeUInt32LE(entry.descriptor ? 0 : data.length, 22)
    local.writeUInt16LE(name.length, 26)
    local.writeUInt16LE(0, 28)
    const pieces = [local, name, body]
    if (entry.descriptor) {
      const descriptor = Buffer.alloc(16)
      descriptor.writeUInt32LE(0x08074b50, 0)
      descriptor.writeUInt32LE(crc, 4)
      descriptor.writeUInt32LE(body.length, 8)
      descriptor.writeUInt32LE(data.length, 12)
      pieces.push(descriptor)
    }
    const header = Buffer.alloc(46)
    header.writeUInt32LE(0x02014b50, 0)
    header.writeUInt16LE(0x031e, 4)
    header.writeUInt16LE(20, 6)
    header.writeUInt16LE(flags, 8)
    header.writeUInt16LE(method, 10)
    header.writeUInt16LE(0, 12)
    header.writeUInt16LE(0x21, 14)
    header.writeUInt32LE(crc, 16)
    header.writeUInt32LE(body.length, 20)
    header.writeUInt32LE(data.length, 24)
    header.writeUInt16LE(name.length, 28)
    if (entry.unixMode !== undefined) header.writeUInt32LE((entry.unixMode << 16) >>> 0, 38)
    header.writeUInt32LE(offset, 42)
    central.push(header, name)
    for (const piece of pieces) {
      parts.push(piece)
      offset += piece.length
    }
  }
  if (options.gapBeforeCentral) {
    parts.push(options.gapBeforeCentral)
    offset += options.gapBeforeCentral.length
  }
  const centralBytes = Buffer.concat(central)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(centralBytes.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...parts, centralBytes, end])
}

/** Zip `files` with the system Info-ZIP `zip` (-X: no extra fields; stored: -0). */
export async function zipWithInfoZip(
  dir: string,
  out: string,
  files: Record<string, string | Buffer>,
  options: { stored?: boolean } = {},
): Promise<string> {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name)
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(file, content)
  }
  await run('zip', ['-q', '-X', '-r', ...(options.stored ? ['-0'] : []), out, '.'], { cwd: dir })
  return out
}
