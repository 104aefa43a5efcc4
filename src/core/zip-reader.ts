/**
 * A small zip reader for checking bundles the way devices read them:
 * - iOS (ZIPFoundation) trusts the central directory: `listZipEntries`.
 * - Android (java.util.zip.ZipInputStream) walks the LOCAL headers from the start of the file and
 *   never looks at the central directory: `checkLocalEntries` does the same walk, inflates every
 *   entry and checks CRC-32 and sizes, and refuses what ZipInputStream cannot read.
 * Reads by position from an open file, one entry at a time, so memory stays flat for big bundles.
 * ZIP64 and multi-disk archives are refused: bundles never need them and the plugin paths differ.
 */
import { createReadStream } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import { Writable } from 'node:stream'
import { createInflateRaw, crc32, inflateRawSync } from 'node:zlib'

export class ZipFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ZipFormatError'
  }
}

export interface ZipEntry {
  name: string
  /** 0 = stored, 8 = deflated. */
  method: number
  /** General purpose bit flags (bit 0 encrypted, bit 3 data descriptor, bit 11 UTF-8). */
  flags: number
  crc32: number
  compressedSize: number
  size: number
  localHeaderOffset: number
}

export interface ZipListing {
  entries: ZipEntry[]
  /** Where the central directory starts: the local-header walk must end exactly there. */
  centralDirectoryOffset: number
}

const EOCD_SIGNATURE = 0x06054b50
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50
const CENTRAL_SIGNATURE = 0x02014b50
const LOCAL_SIGNATURE = 0x04034b50
const DESCRIPTOR_SIGNATURE = 0x08074b50
const EOCD_SIZE = 22
const MAX_COMMENT = 0xffff
const CENTRAL_HEADER_SIZE = 46
const LOCAL_HEADER_SIZE = 30
const FLAG_ENCRYPTED = 0x1
const FLAG_DESCRIPTOR = 0x8
const FLAG_UTF8 = 0x800
const STORED = 0
const DEFLATED = 8

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length)
  const { bytesRead } = await handle.read(buffer, 0, length, position)
  if (bytesRead !== length) throw new ZipFormatError(`unexpected end of file at offset ${position} (wanted ${length} bytes, got ${bytesRead})`)
  return buffer
}

function decodeName(raw: Buffer, flags: number): string {
  // Without the UTF-8 flag the name is CP437; latin1 keeps ASCII exact, which is what the name checks need.
  return raw.toString(flags & FLAG_UTF8 ? 'utf8' : 'latin1')
}

/** Entries as the central directory lists them (the iOS view), in central-directory order. */
export async function listZipEntries(file: string): Promise<ZipListing> {
  const handle = await open(file, 'r')
  try {
    const { size: fileSize } = await handle.stat()
    if (fileSize < EOCD_SIZE) throw new ZipFormatError(`not a zip file: ${fileSize} bytes is too small for an end-of-central-directory record`)
    const tailLength = Math.min(fileSize, EOCD_SIZE + MAX_COMMENT)
    const tailStart = fileSize - tailLength
    const tail = await readAt(handle, tailStart, tailLength)
    let eocd = -1
    for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIGNATURE) {
        eocd = i
        break
      }
    }
    if (eocd < 0) throw new ZipFormatError('not a zip file: no end-of-central-directory record')
    if (eocd >= 20 && tail.readUInt32LE(eocd - 20) === ZIP64_LOCATOR_SIGNATURE) {
      throw new ZipFormatError('ZIP64 archives are not supported: a bundle must stay under 4 GiB and 65535 entries')
    }
    const diskNumber = tail.readUInt16LE(eocd + 4)
    const centralDisk = tail.readUInt16LE(eocd + 6)
    const entriesOnDisk = tail.readUInt16LE(eocd + 8)
    const totalEntries = tail.readUInt16LE(eocd + 10)
    const centralSize = tail.readUInt32LE(eocd + 12)
    const centralOffset = tail.readUInt32LE(eocd + 16)
    if (diskNumber !== 0 || centralDisk !== 0 || entriesOnDisk !== totalEntries) {
      throw new ZipFormatError('multi-disk (split) zip archives are not supported')
    }
    if (totalEntries === 0xffff || centralSize === 0xffffffff || centralOffset === 0xffffffff) {
      throw new ZipFormatError('ZIP64 archives are not supported: a bundle must stay under 4 GiB and 65535 entries')
    }
    if (centralOffset + centralSize > tailStart + eocd) {
      throw new ZipFormatError('the central directory lies outside the file (truncated or corrupt zip)')
    }
    const central = await readAt(handle, centralOffset, centralSize)
    const entries: ZipEntry[] = []
    let p = 0
    for (let i = 0; i < totalEntries; i++) {
      if (p + CENTRAL_HEADER_SIZE > central.length || central.readUInt32LE(p) !== CENTRAL_SIGNATURE) {
        throw new ZipFormatError(`central directory entry ${i + 1} of ${totalEntries} is missing or corrupt`)
      }
      const flags = central.readUInt16LE(p + 8)
      const nameLength = central.readUInt16LE(p + 28)
      const extraLength = central.readUInt16LE(p + 30)
      const commentLength = central.readUInt16LE(p + 32)
      const entry: ZipEntry = {
        name: decodeName(central.subarray(p + CENTRAL_HEADER_SIZE, p + CENTRAL_HEADER_SIZE + nameLength), flags),
        method: central.readUInt16LE(p + 10),
        flags,
        crc32: central.readUInt32LE(p + 16),
        compressedSize: central.readUInt32LE(p + 20),
        size: central.readUInt32LE(p + 24),
        localHeaderOffset: central.readUInt32LE(p + 42),
      }
      if (entry.compressedSize === 0xffffffff || entry.size === 0xffffffff || entry.localHeaderOffset === 0xffffffff) {
        throw new ZipFormatError(`entry '${entry.name}' uses ZIP64 sizes, which are not supported`)
      }
      if (central.readUInt16LE(p + 34) !== 0) throw new ZipFormatError(`entry '${entry.name}' starts on another disk (multi-disk zips are not supported)`)
      entries.push(entry)
      p += CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength
    }
    return { entries, centralDirectoryOffset: centralOffset }
  } finally {
    await handle.close()
  }
}

/**
 * Walk the local headers from offset 0, in file order, as ZipInputStream does, and check every
 * entry agrees with the central directory, inflates cleanly and matches its CRC-32 and sizes.
 */
export async function checkLocalEntries(file: string, listing: ZipListing): Promise<void> {
  const byOffset = new Map(listing.entries.map((entry) => [entry.localHeaderOffset, entry]))
  const handle = await open(file, 'r')
  try {
    let offset = 0
    for (let i = 0; i < listing.entries.length; i++) {
      const header = await readAt(handle, offset, LOCAL_HEADER_SIZE)
      if (header.readUInt32LE(0) !== LOCAL_SIGNATURE) {
        throw new ZipFormatError(`expected local header ${i + 1} of ${listing.entries.length} at offset ${offset}; Android's ZipInputStream reads entries back to back from the start of the file`)
      }
      const entry = byOffset.get(offset)
      if (!entry) throw new ZipFormatError(`the local header at offset ${offset} is not listed in the central directory (Android and iOS would see different files)`)
      const flags = header.readUInt16LE(6)
      const method = header.readUInt16LE(8)
      const nameLength = header.readUInt16LE(26)
      const extraLength = header.readUInt16LE(28)
      const name = decodeName(await readAt(handle, offset + LOCAL_HEADER_SIZE, nameLength), flags)
      const where = `entry '${entry.name}'`
      if (name !== entry.name) throw new ZipFormatError(`${where}: the local header names it '${name}' (Android and iOS would see different files)`)
      if (method !== entry.method) throw new ZipFormatError(`${where}: local and central headers disagree on the compression method`)
      if (flags & FLAG_ENCRYPTED) throw new ZipFormatError(`${where} is zip-encrypted, which devices cannot read`)
      if (method !== STORED && method !== DEFLATED) throw new ZipFormatError(`${where} uses compression method ${method}; only stored (0) and deflated (8) are readable on devices`)
      if (method === STORED && flags & FLAG_DESCRIPTOR) {
        throw new ZipFormatError(`${where} is STORED with a data descriptor (flag bit 3), which Android's ZipInputStream cannot read ("only DEFLATED entries can have EXT descriptor")`)
      }
      if (!(flags & FLAG_DESCRIPTOR)) {
        const localCrc = header.readUInt32LE(14)
        const localCompressed = header.readUInt32LE(18)
        const localSize = header.readUInt32LE(22)
        if (localCrc !== entry.crc32 || localCompressed !== entry.compressedSize || localSize !== entry.size) {
          throw new ZipFormatError(`${where}: local header CRC/sizes disagree with the central directory`)
        }
      }
      if (method === STORED && entry.compressedSize !== entry.size) throw new ZipFormatError(`${where} is STORED but its compressed and uncompressed sizes differ`)

      const dataStart = offset + LOCAL_HEADER_SIZE + nameLength + extraLength
      await checkEntryData(handle, file, entry, dataStart)
      offset = dataStart + entry.compressedSize
      if (flags & FLAG_DESCRIPTOR) offset += await descriptorLength(handle, offset, entry)
    }
    if (offset !== listing.centralDirectoryOffset) {
      throw new ZipFormatError(`${listing.centralDirectoryOffset - offset} unexpected bytes between the last entry and the central directory`)
    }
  } finally {
    await handle.close()
  }
}

/** A data descriptor is crc, csize, size, optionally preceded by its signature; both forms exist. */
async function descriptorLength(handle: FileHandle, offset: number, entry: ZipEntry): Promise<number> {
  const descriptor = await readAt(handle, offset, 12)
  const signed = descriptor.readUInt32LE(0) === DESCRIPTOR_SIGNATURE
  const fields = signed ? Buffer.concat([descriptor.subarray(4), await readAt(handle, offset + 12, 4)]) : descriptor
  if (fields.readUInt32LE(0) !== entry.crc32 || fields.readUInt32LE(4) !== entry.compressedSize || fields.readUInt32LE(8) !== entry.size) {
    throw new ZipFormatError(`entry '${entry.name}': data descriptor disagrees with the central directory`)
  }
  return signed ? 16 : 12
}

/**
 * Entries up to this size (compressed and declared) are read and inflated in one go: most web
 * files are small, and a stream per entry costs far more than the work. Bigger ones stream.
 */
const IN_MEMORY_LIMIT = 4 * 1024 * 1024

/** Inflate (if deflated) one entry's data and compare CRC-32 and size with its headers. */
async function checkEntryData(handle: FileHandle, file: string, entry: ZipEntry, dataStart: number): Promise<void> {
  if (entry.method === DEFLATED && entry.compressedSize === 0) throw new ZipFormatError(`entry '${entry.name}' is deflated but has no compressed data`)
  const measured = entry.compressedSize <= IN_MEMORY_LIMIT && entry.size <= IN_MEMORY_LIMIT
    ? await measureInMemory(handle, entry, dataStart)
    : await measureStreaming(file, entry, dataStart)
  if (measured.size !== entry.size) throw new ZipFormatError(`entry '${entry.name}' holds ${measured.size} bytes, but its headers say ${entry.size}`)
  if (measured.crc !== entry.crc32) {
    throw new ZipFormatError(`entry '${entry.name}' fails its CRC-32 check (computed ${hex32(measured.crc)}, headers say ${hex32(entry.crc32)})`)
  }
}

function hex32(value: number): string {
  return value.toString(16).padStart(8, '0')
}

function tooBig(entry: ZipEntry): ZipFormatError {
  return new ZipFormatError(`entry '${entry.name}' inflates to more than its declared ${entry.size} bytes`)
}

async function measureInMemory(handle: FileHandle, entry: ZipEntry, dataStart: number): Promise<{ crc: number; size: number }> {
  const raw = await readAt(handle, dataStart, entry.compressedSize)
  let data = raw
  if (entry.method === DEFLATED) {
    try {
      // One byte of headroom so "more than declared" is detected rather than silently cut.
      data = inflateRawSync(raw, { maxOutputLength: entry.size + 1 })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooBig(entry)
      throw new ZipFormatError(`entry '${entry.name}' cannot be inflated: ${(error as Error).message}`)
    }
  }
  return { crc: crc32(data), size: data.length }
}

async function measureStreaming(file: string, entry: ZipEntry, dataStart: number): Promise<{ crc: number; size: number }> {
  let crc = 0
  let size = 0
  const measure = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      crc = crc32(chunk, crc)
      size += chunk.length
      // Stop early instead of inflating a zip bomb to the end.
      callback(size > entry.size ? tooBig(entry) : null)
    },
  })
  const raw = createReadStream(file, { start: dataStart, end: dataStart + entry.compressedSize - 1 })
  try {
    if (entry.method === DEFLATED) await pipeline(raw, createInflateRaw(), measure)
    else await pipeline(raw, measure)
  } catch (error) {
    if (error instanceof ZipFormatError) throw error
    throw new ZipFormatError(`entry '${entry.name}' cannot be read: ${(error as Error).message}`)
  }
  return { crc, size }
}
