/**
 * The zip format as this project writes and reads it (APPNOTE 6.3, without ZIP64), shared by
 * the writer and the device-like reader so both agree at every limit.
 */

export const LOCAL_SIGNATURE = 0x04034b50
export const CENTRAL_SIGNATURE = 0x02014b50
export const EOCD_SIGNATURE = 0x06054b50
export const DESCRIPTOR_SIGNATURE = 0x08074b50
export const ZIP64_EOCD_SIGNATURE = 0x06064b50
export const ZIP64_LOCATOR_SIGNATURE = 0x07064b50

export const LOCAL_HEADER_SIZE = 30
export const CENTRAL_HEADER_SIZE = 46
export const EOCD_SIZE = 22
export const MAX_COMMENT = 0xffff

export const FLAG_ENCRYPTED = 0x0001
/** Bit 3: CRC and sizes follow the data. Never written: Android's ZipInputStream refuses it on STORED entries. */
export const FLAG_DESCRIPTOR = 0x0008
export const FLAG_UTF8 = 0x0800

export const METHOD_STORED = 0
export const METHOD_DEFLATED = 8

/** 1980-01-01 00:00:00, the earliest DOS date: fixed so the same folder gives the same bytes. */
export const DOS_TIME = 0
export const DOS_DATE = (0 << 9) | (1 << 5) | 1

export const VERSION_NEEDED = 20
export const VERSION_MADE_BY_UNIX = (3 << 8) | 20
export const FILE_ATTRIBUTES = (0o100644 << 16) >>> 0
export const DIRECTORY_ATTRIBUTES = ((0o040755 << 16) | 0x10) >>> 0

/*
 * Limits without ZIP64. The all-ones value of each field (0xffff, 0xffffffff) is the ZIP64
 * sentinel: a reader seeing it looks for ZIP64 records, so the writer stays strictly below it.
 */
/** Entries (files and folders) in one bundle, at most: 65,534, one below the 65,535 sentinel. */
export const MAX_ENTRIES = 0xfffe
/** Bytes of one file, compressed or not, at most (just under 4 GiB). */
export const MAX_FILE_SIZE = 0xfffffffe
/** Offsets and the central directory must end below 4 GiB too. */
export const MAX_OFFSET = 0xfffffffe
/** Bytes of one entry name (a 16-bit field). Devices' file systems need far less; see the scan. */
export const MAX_NAME_BYTES = 0xffff

/*
 * What a phone can extract, stricter than the format: Android and iOS refuse paths beyond
 * PATH_MAX (4,096 bytes, with the app's own folder in front) and components beyond NAME_MAX.
 */
/** Bytes of one entry name, at most (leaves room for the folder the plugin extracts into). */
export const MAX_ENTRY_NAME_BYTES = 3072
/** Bytes of one path component, at most (NAME_MAX on ext4, APFS and f2fs). */
export const MAX_COMPONENT_BYTES = 255
