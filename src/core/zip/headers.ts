/**
 * Binary records of the zip format (APPNOTE 6.3). Every entry carries its CRC and sizes in the
 * local header (no data descriptors), which is what Android's ZipInputStream needs.
 */
import {
  CENTRAL_HEADER_SIZE,
  CENTRAL_SIGNATURE,
  DIRECTORY_ATTRIBUTES,
  DOS_DATE,
  DOS_TIME,
  EOCD_SIGNATURE,
  EOCD_SIZE,
  FILE_ATTRIBUTES,
  FLAG_UTF8,
  LOCAL_HEADER_SIZE,
  LOCAL_SIGNATURE,
  VERSION_MADE_BY_UNIX,
  VERSION_NEEDED,
} from './format.js'

export interface EntryRecord {
  name: Buffer
  method: number
  crc: number
  compressedSize: number
  size: number
  isDirectory: boolean
  offset: number
}

function flagsFor(name: Buffer): number {
  for (const byte of name) if (byte > 0x7f) return FLAG_UTF8
  return 0
}

export function localHeader(entry: EntryRecord): Buffer {
  // One buffer for the fixed part and the name: thousands of entries, no concatenation each.
  const header = Buffer.alloc(LOCAL_HEADER_SIZE + entry.name.length)
  header.writeUInt32LE(LOCAL_SIGNATURE, 0)
  header.writeUInt16LE(VERSION_NEEDED, 4)
  header.writeUInt16LE(flagsFor(entry.name), 6)
  header.writeUInt16LE(entry.method, 8)
  header.writeUInt16LE(DOS_TIME, 10)
  header.writeUInt16LE(DOS_DATE, 12)
  header.writeUInt32LE(entry.crc >>> 0, 14)
  header.writeUInt32LE(entry.compressedSize, 18)
  header.writeUInt32LE(entry.size, 22)
  header.writeUInt16LE(entry.name.length, 26)
  header.writeUInt16LE(0, 28)
  entry.name.copy(header, LOCAL_HEADER_SIZE)
  return header
}

export function centralHeader(entry: EntryRecord): Buffer {
  const header = Buffer.alloc(CENTRAL_HEADER_SIZE + entry.name.length)
  header.writeUInt32LE(CENTRAL_SIGNATURE, 0)
  header.writeUInt16LE(VERSION_MADE_BY_UNIX, 4)
  header.writeUInt16LE(VERSION_NEEDED, 6)
  header.writeUInt16LE(flagsFor(entry.name), 8)
  header.writeUInt16LE(entry.method, 10)
  header.writeUInt16LE(DOS_TIME, 12)
  header.writeUInt16LE(DOS_DATE, 14)
  header.writeUInt32LE(entry.crc >>> 0, 16)
  header.writeUInt32LE(entry.compressedSize, 20)
  header.writeUInt32LE(entry.size, 24)
  header.writeUInt16LE(entry.name.length, 28)
  // extra length, comment length, disk number start, internal attributes: all 0
  header.writeUInt32LE(entry.isDirectory ? DIRECTORY_ATTRIBUTES : FILE_ATTRIBUTES, 38)
  header.writeUInt32LE(entry.offset, 42)
  entry.name.copy(header, CENTRAL_HEADER_SIZE)
  return header
}

export function endOfCentralDirectory(entryCount: number, centralSize: number, centralOffset: number): Buffer {
  const record = Buffer.alloc(EOCD_SIZE)
  record.writeUInt32LE(EOCD_SIGNATURE, 0)
  record.writeUInt16LE(entryCount, 8)
  record.writeUInt16LE(entryCount, 10)
  record.writeUInt32LE(centralSize, 12)
  record.writeUInt32LE(centralOffset, 16)
  return record
}
