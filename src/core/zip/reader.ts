/**
 * Reading zips the way devices read them (format constants: format.ts, shared with the writer):
 * - iOS (ZIPFoundation) trusts the central directory: `parseCentralDirectory` / `listZipEntries`.
 * - Android (java.util.zip.ZipInputStream) walks the LOCAL headers from the start of the file and
 *   never looks at the central directory: `LocalWalker` (stream-reader.ts) does that walk as the bytes
 *   arrive; `checkLocalEntriesFrom` does it on a file, for entries whose end only the central
 *   directory tells (deflated with a data descriptor).
 * `crossCheck` then requires both views to agree entry by entry.
 * ZIP64 and multi-disk archives are refused: bundles never need them. A size field of 0xffffffff
 * is ZIP64 only when a ZIP64 record is there (as Java and Info-ZIP read it), so an entry of exactly
 * 4,294,967,295 bytes or exactly 65,535 entries are read as what they are.
 */
import { open, type FileHandle } from 'node:fs/promises'
import { EntryCheck, ZipFormatError, hex32 } from './entry-check.ts'
import {
  CENTRAL_HEADER_SIZE,
  CENTRAL_SIGNATURE,
  DESCRIPTOR_SIGNATURE,
  EOCD_SIGNATURE,
  EOCD_SIZE,
  FLAG_DESCRIPTOR,
  FLAG_ENCRYPTED,
  LOCAL_HEADER_SIZE,
  LOCAL_SIGNATURE,
  MAX_COMMENT,
  METHOD_DEFLATED as DEFLATED,
  METHOD_STORED as STORED,
  ZIP64_LOCATOR_SIGNATURE,
} from './format.ts'

export { ZipFormatError } from './entry-check.ts'

export interface ZipEntry {
  name: string
  /** The name as stored; devices decode it as UTF-8 (Android) or by flag bit 11 (iOS). */
  rawName: Buffer
  /** 0 = stored, 8 = deflated. */
  method: number
  /** General purpose bit flags (bit 0 encrypted, bit 3 data descriptor, bit 11 UTF-8). */
  flags: number
  crc32: number
  compressedSize: number
  size: number
  localHeaderOffset: number
  /** Central directory only: the "made by" host (3 = Unix) and the external attributes (mode << 16). */
  madeBy?: number
  externalAttributes?: number
}

export interface ZipListing {
  entries: ZipEntry[]
  /** Where the central directory starts: the local-header walk must end exactly there. */
  centralDirectoryOffset: number
}

const ZIP64_EXTRA_ID = 0x0001

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The name as Android decodes it (UTF-8, whatever the flag says); U+FFFD only for messages. */
export function decodeName(raw: Buffer): string {
  try {
    return utf8.decode(raw)
  } catch {
    return raw.toString('utf8')
  }
}

export function isValidUtf8(raw: Buffer): boolean {
  try {
    utf8.decode(raw)
    return true
  } catch {
    return false
  }
}

function hasZip64Extra(extra: Buffer): boolean {
  for (let p = 0; p + 4 <= extra.length; p += 4 + extra.readUInt16LE(p + 2)) {
    if (extra.readUInt16LE(p) === ZIP64_EXTRA_ID) return true
  }
  return false
}

/** Local header fields, as ZipInputStream reads them. `headerLength` includes name and extra. */
export interface LocalHeader {
  flags: number
  method: number
  crc32: number
  compressedSize: number
  size: number
  rawName: Buffer
  headerLength: number
}

/** Parse a complete local header (signature already checked); `bytes` holds at least `headerLength` bytes. */
export function parseLocalHeader(bytes: Buffer, offset: number): LocalHeader {
  const nameLength = bytes.readUInt16LE(26)
  const extraLength = bytes.readUInt16LE(28)
  const rawName = Buffer.from(bytes.subarray(LOCAL_HEADER_SIZE, LOCAL_HEADER_SIZE + nameLength))
  const header: LocalHeader = {
    flags: bytes.readUInt16LE(6),
    method: bytes.readUInt16LE(8),
    crc32: bytes.readUInt32LE(14),
    compressedSize: bytes.readUInt32LE(18),
    size: bytes.readUInt32LE(22),
    rawName,
    headerLength: LOCAL_HEADER_SIZE + nameLength + extraLength,
  }
  if (hasZip64Extra(bytes.subarray(LOCAL_HEADER_SIZE + nameLength, LOCAL_HEADER_SIZE + nameLength + extraLength))) {
    throw new ZipFormatError(
      `entry '${decodeName(rawName)}' at offset ${offset} uses ZIP64 sizes, which are not supported`,
    )
  }
  return header
}

export function localHeaderLength(first30: Buffer): number {
  return LOCAL_HEADER_SIZE + first30.readUInt16LE(26) + first30.readUInt16LE(28)
}

/** Find and read the end record in `tail`, the last bytes of the zip starting at absolute `tailStart`. */
export function parseEndRecord(
  tail: Buffer,
  tailStart: number,
): { count: number; centralSize: number; centralOffset: number; eocdOffset: number } {
  let eocd = -1
  for (let i = tail.length - EOCD_SIZE; i >= Math.max(0, tail.length - EOCD_SIZE - MAX_COMMENT); i--) {
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
  const count = tail.readUInt16LE(eocd + 10)
  if (diskNumber !== 0 || centralDisk !== 0 || entriesOnDisk !== count)
    throw new ZipFormatError('multi-disk (split) zip archives are not supported')
  const centralSize = tail.readUInt32LE(eocd + 12)
  const centralOffset = tail.readUInt32LE(eocd + 16)
  if (centralOffset + centralSize > tailStart + eocd)
    throw new ZipFormatError('the central directory lies outside the file (truncated or corrupt zip)')
  return { count, centralSize, centralOffset, eocdOffset: tailStart + eocd }
}

/** The central directory entries (the iOS view), in order. */
export function parseCentralDirectory(central: Buffer, count: number): ZipEntry[] {
  const entries: ZipEntry[] = []
  let p = 0
  for (let i = 0; i < count; i++) {
    if (p + CENTRAL_HEADER_SIZE > central.length || central.readUInt32LE(p) !== CENTRAL_SIGNATURE) {
      throw new ZipFormatError(`central directory entry ${i + 1} of ${count} is missing or corrupt`)
    }
    const nameLength = central.readUInt16LE(p + 28)
    const extraLength = central.readUInt16LE(p + 30)
    const commentLength = central.readUInt16LE(p + 32)
    const nameStart = p + CENTRAL_HEADER_SIZE
    const rawName = Buffer.from(central.subarray(nameStart, nameStart + nameLength))
    const entry: ZipEntry = {
      name: decodeName(rawName),
      rawName,
      madeBy: central.readUInt8(p + 5),
      method: central.readUInt16LE(p + 10),
      flags: central.readUInt16LE(p + 8),
      crc32: central.readUInt32LE(p + 16),
      compressedSize: central.readUInt32LE(p + 20),
      size: central.readUInt32LE(p + 24),
      externalAttributes: central.readUInt32LE(p + 38),
      localHeaderOffset: central.readUInt32LE(p + 42),
    }
    if (hasZip64Extra(central.subarray(nameStart + nameLength, nameStart + nameLength + extraLength))) {
      throw new ZipFormatError(`entry '${entry.name}' uses ZIP64 sizes, which are not supported`)
    }
    if (central.readUInt16LE(p + 34) !== 0)
      throw new ZipFormatError(`entry '${entry.name}' starts on another disk (multi-disk zips are not supported)`)
    entries.push(entry)
    p += CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength
  }
  return entries
}

/**
 * The local walk (Android) and the central directory (iOS) must describe the same files: same
 * count, same offsets, names, methods, CRCs and sizes, and the walk ends where the directory starts.
 */
export function crossCheck(local: ZipEntry[], localEnd: number, listing: ZipListing): void {
  if (localEnd !== listing.centralDirectoryOffset) {
    const gap = listing.centralDirectoryOffset - localEnd
    throw new ZipFormatError(
      gap > 0
        ? `${gap} unexpected bytes between the last entry and the central directory`
        : `the central directory starts at offset ${listing.centralDirectoryOffset}, inside the entries (they end at ${localEnd})`,
    )
  }
  const byOffset = new Map(local.map((entry) => [entry.localHeaderOffset, entry]))
  if (local.length !== listing.entries.length) {
    throw new ZipFormatError(
      `the local headers hold ${local.length} entries but the central directory lists ${listing.entries.length} (Android and iOS would see different files)`,
    )
  }
  for (const central of listing.entries) {
    const found = byOffset.get(central.localHeaderOffset)
    if (!found)
      throw new ZipFormatError(
        `central directory entry '${central.name}' points at offset ${central.localHeaderOffset}, where no entry starts (Android and iOS would see different files)`,
      )
    const where = `entry '${central.name}'`
    if (!found.rawName.equals(central.rawName))
      throw new ZipFormatError(
        `${where}: the local header names it '${found.name}' (Android and iOS would see different files)`,
      )
    if (found.method !== central.method)
      throw new ZipFormatError(`${where}: local and central headers disagree on the compression method`)
    if (
      found.crc32 !== central.crc32 ||
      found.compressedSize !== central.compressedSize ||
      found.size !== central.size
    ) {
      throw new ZipFormatError(`${where}: local header CRC/sizes disagree with the central directory`)
    }
  }
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length)
  const { bytesRead } = await handle.read(buffer, 0, length, position)
  if (bytesRead !== length)
    throw new ZipFormatError(`unexpected end of file at offset ${position} (wanted ${length} bytes, got ${bytesRead})`)
  return buffer
}

/**
 * The central directory of a zip file holding the bytes of the zip from absolute offset `base`
 * (a spill file that starts mid-zip; 0 for a whole zip).
 */
export async function listZipEntries(file: string, base = 0): Promise<ZipListing> {
  const handle = await open(file, 'r')
  try {
    const { size: fileSize } = await handle.stat()
    if (fileSize < EOCD_SIZE)
      throw new ZipFormatError(`not a zip file: ${fileSize} bytes is too small for an end-of-central-directory record`)
    const tailLength = Math.min(fileSize, EOCD_SIZE + MAX_COMMENT)
    const end = parseEndRecord(await readAt(handle, fileSize - tailLength, tailLength), base + fileSize - tailLength)
    if (end.centralOffset < base) throw new ZipFormatError('the central directory starts before the entries it lists')
    const central = await readAt(handle, end.centralOffset - base, end.centralSize)
    return { entries: parseCentralDirectory(central, end.count), centralDirectoryOffset: end.centralOffset }
  } finally {
    await handle.close()
  }
}

/**
 * Walk the local headers of `file` (zip bytes from absolute offset `base`) from `base` to the
 * central directory, as ZipInputStream does, taking each entry's length from the central directory
 * (for entries with a data descriptor the local header holds none). Returns the entries walked.
 */
export async function checkLocalEntriesFrom(
  file: string,
  base: number,
  listing: ZipListing,
): Promise<{ entries: ZipEntry[]; end: number }> {
  const byOffset = new Map(listing.entries.map((entry) => [entry.localHeaderOffset, entry]))
  const walked: ZipEntry[] = []
  const handle = await open(file, 'r')
  try {
    let offset = base
    while (offset < listing.centralDirectoryOffset) {
      const first = await readAt(handle, offset - base, LOCAL_HEADER_SIZE)
      if (first.readUInt32LE(0) !== LOCAL_SIGNATURE) {
        throw new ZipFormatError(
          `expected a local header at offset ${offset}; Android's ZipInputStream reads entries back to back from the start of the file`,
        )
      }
      const header = parseLocalHeader(await readAt(handle, offset - base, localHeaderLength(first)), offset)
      const central = byOffset.get(offset)
      if (!central)
        throw new ZipFormatError(
          `the local header at offset ${offset} is not listed in the central directory (Android and iOS would see different files)`,
        )
      const entry = localEntry(header, offset, central)
      const dataStart = offset + header.headerLength
      const check = new EntryCheck(entry)
      for (let done = 0; done < entry.compressedSize; ) {
        const chunk = await readAt(handle, dataStart - base + done, Math.min(1 << 20, entry.compressedSize - done))
        await check.write(chunk)
        done += chunk.length
      }
      await check.finish()
      offset = dataStart + entry.compressedSize
      if (header.flags & FLAG_DESCRIPTOR) offset += await descriptorLength(handle, offset, base, entry)
      walked.push(entry)
    }
    return { entries: walked, end: offset }
  } finally {
    await handle.close()
  }
}

/** What a local header says, with sizes from the central directory when a data descriptor holds them. */
export function localEntry(header: LocalHeader, offset: number, central?: ZipEntry): ZipEntry {
  const entry: ZipEntry = {
    name: decodeName(header.rawName),
    rawName: header.rawName,
    method: header.method,
    flags: header.flags,
    crc32: header.crc32,
    compressedSize: header.compressedSize,
    size: header.size,
    localHeaderOffset: offset,
  }
  checkLocalHeader(entry)
  if (header.flags & FLAG_DESCRIPTOR && central) {
    entry.crc32 = central.crc32
    entry.compressedSize = central.compressedSize
    entry.size = central.size
  }
  return entry
}

/** What ZipInputStream refuses in a local header, before reading any data. */
export function checkLocalHeader(entry: ZipEntry): void {
  const where = `entry '${entry.name}'`
  if (entry.flags & FLAG_ENCRYPTED) throw new ZipFormatError(`${where} is zip-encrypted, which devices cannot read`)
  if (entry.method !== STORED && entry.method !== DEFLATED) {
    throw new ZipFormatError(
      `${where} uses compression method ${entry.method}; only stored (0) and deflated (8) are readable on devices`,
    )
  }
  if (entry.method === STORED && entry.flags & FLAG_DESCRIPTOR) {
    throw new ZipFormatError(
      `${where} is STORED with a data descriptor (flag bit 3), which Android's ZipInputStream cannot read ("only DEFLATED entries can have EXT descriptor")`,
    )
  }
  if (!(entry.flags & FLAG_DESCRIPTOR)) {
    if (entry.method === STORED && entry.compressedSize !== entry.size)
      throw new ZipFormatError(`${where} is STORED but its compressed and uncompressed sizes differ`)
    if (entry.method === DEFLATED && entry.compressedSize === 0)
      throw new ZipFormatError(`${where} is deflated but has no compressed data`)
  }
}

/** A data descriptor is crc, csize, size, optionally preceded by its signature; both forms exist. */
async function descriptorLength(handle: FileHandle, offset: number, base: number, entry: ZipEntry): Promise<number> {
  const descriptor = await readAt(handle, offset - base, 12)
  const signed = descriptor.readUInt32LE(0) === DESCRIPTOR_SIGNATURE
  const fields = signed
    ? Buffer.concat([descriptor.subarray(4), await readAt(handle, offset - base + 12, 4)])
    : descriptor
  if (
    fields.readUInt32LE(0) !== entry.crc32 ||
    fields.readUInt32LE(4) !== entry.compressedSize ||
    fields.readUInt32LE(8) !== entry.size
  ) {
    throw new ZipFormatError(
      `entry '${entry.name}': data descriptor disagrees with the central directory (crc ${hex32(fields.readUInt32LE(0))})`,
    )
  }
  return signed ? 16 : 12
}
