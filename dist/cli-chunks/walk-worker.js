// src/core/zip/walk-worker.ts
import { parentPort, workerData } from "node:worker_threads";

// src/core/zip/entry-check.ts
import {
  crc32,
  createInflateRaw,
  inflateRaw as zlibInflateRaw,
  inflateRawSync as zlibInflateRawSync
} from "node:zlib";

// src/core/zip/free-now.ts
function freeNow(buffer) {
  const memory = buffer.buffer;
  if (typeof memory.transfer !== "function") return;
  const spansAll = buffer.byteOffset === 0 && buffer.byteLength === memory.byteLength;
  if (!spansAll && memory.byteLength <= Buffer.poolSize) return;
  if (typeof SharedArrayBuffer !== "undefined" && memory instanceof SharedArrayBuffer) return;
  memory.transfer(0);
}

// src/core/zip/entry-check.ts
var ZipFormatError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "ZipFormatError";
  }
};
function hex32(value) {
  return value.toString(16).padStart(8, "0");
}
var inflateRaw = zlibInflateRaw;
var inflateRawSync = zlibInflateRawSync;
var ONE_SHOT_LIMIT = 4 * 1024 * 1024;
var STREAM_CHUNK = 256 * 1024;
var EntryCheck = class {
  crc = 0;
  produced = 0;
  chunks = [];
  inflaterSettled = false;
  inflater;
  failure;
  done;
  entry;
  inflateInThread;
  /**
   * `inflateInThread`: small entries are inflated on this thread, synchronously. Right for a thread
   * of its own (the walk worker): measured on 1,700 web files, half the CPU time of handing each
   * to libuv's pool and back. The main thread keeps the pool, so it stays free to decrypt.
   */
  constructor(entry, options = {}) {
    this.entry = entry;
    this.inflateInThread = options.inflateInThread ?? false;
    if (entry.method === 8 && (entry.compressedSize > ONE_SHOT_LIMIT || entry.size > ONE_SHOT_LIMIT)) {
      const inflater = createInflateRaw({ chunkSize: STREAM_CHUNK });
      this.inflater = inflater;
      inflater.on("data", (chunk) => this.output(chunk));
      this.done = new Promise((resolve, reject) => {
        inflater.once("end", resolve);
        inflater.once("error", (error) => reject(this.failure ?? this.unreadable(error)));
      });
      this.done.then(
        () => this.inflaterSettled = true,
        () => this.inflaterSettled = true
      );
      this.done.catch(() => void 0);
    }
  }
  /** Feed the next compressed bytes; resolves when the entry can take more. */
  async write(chunk) {
    if (this.failure) throw this.failure;
    if (this.entry.method === 0) {
      this.output(chunk);
      if (this.failure) throw this.failure;
    } else if (this.inflater) {
      if (!this.inflater.write(chunk))
        await new Promise((resolve) => {
          const inflater = this.inflater;
          const settle = () => {
            inflater.off("drain", settle);
            inflater.off("close", settle);
            resolve();
          };
          inflater.on("drain", settle);
          inflater.on("close", settle);
        });
    } else {
      this.chunks.push(Buffer.from(chunk));
    }
  }
  /** All compressed bytes were given: resolves once the entry checks out, rejects with ZipFormatError. */
  async finish() {
    if (this.entry.method === 8 && this.inflater) {
      this.inflater.end();
      await this.done;
      this.checkConsumed(this.inflater.bytesWritten);
    } else if (this.entry.method === 8) {
      const raw = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      this.chunks.length = 0;
      const limit = this.entry.size + 1;
      const chunkSize = this.inflateInThread ? Math.max(limit, Buffer.poolSize + 1) : Math.max(64, limit);
      const options = { info: true, maxOutputLength: limit, chunkSize };
      const failure = (error) => error.code === "ERR_BUFFER_TOO_LARGE" ? this.tooBig() : this.unreadable(error);
      let result;
      if (this.inflateInThread) {
        try {
          result = inflateRawSync(raw, options);
        } catch (error) {
          throw failure(error);
        }
      } else {
        result = await new Promise((resolve, reject) => {
          inflateRaw(raw, options, (error, value) => error ? reject(failure(error)) : resolve(value));
        });
      }
      this.output(result.buffer);
      if (this.inflateInThread) freeNow(result.buffer);
      this.checkConsumed(result.engine.bytesWritten);
    }
    if (this.failure) throw this.failure;
    const { name, size, crc32: declared } = this.entry;
    if (this.produced !== size)
      throw new ZipFormatError(`entry '${name}' holds ${this.produced} bytes, but its headers say ${size}`);
    if (this.crc >>> 0 !== declared)
      throw new ZipFormatError(
        `entry '${name}' fails its CRC-32 check (computed ${hex32(this.crc >>> 0)}, headers say ${hex32(declared)})`
      );
  }
  /**
   * Whether this check may still read bytes it was given: only a streaming inflater, until it has
   * ended. A stored entry's bytes are used at once; a small deflated entry's are copied.
   */
  holdsInput() {
    return this.inflater !== void 0 && !this.inflaterSettled;
  }
  /** Stop early: nothing more will be written (the zip failed elsewhere). */
  abort() {
    this.inflater?.destroy();
    this.chunks.length = 0;
  }
  output(chunk) {
    this.crc = crc32(chunk, this.crc);
    this.produced += chunk.length;
    if (this.produced > this.entry.size && !this.failure) {
      this.failure = this.tooBig();
      this.inflater?.destroy(this.failure);
    }
  }
  checkConsumed(consumed) {
    if (consumed !== this.entry.compressedSize) {
      throw new ZipFormatError(
        `entry '${this.entry.name}' has ${this.entry.compressedSize - consumed} bytes after the end of its deflate stream (${consumed} of ${this.entry.compressedSize}); Android's ZipInputStream refuses it ("invalid entry compressed size")`
      );
    }
  }
  tooBig() {
    return new ZipFormatError(`entry '${this.entry.name}' inflates to more than its declared ${this.entry.size} bytes`);
  }
  unreadable(error) {
    return new ZipFormatError(`entry '${this.entry.name}' cannot be inflated: ${error.message}`);
  }
};

// src/core/zip/format.ts
var LOCAL_SIGNATURE = 67324752;
var CENTRAL_SIGNATURE = 33639248;
var EOCD_SIGNATURE = 101010256;
var DESCRIPTOR_SIGNATURE = 134695760;
var ZIP64_LOCATOR_SIGNATURE = 117853008;
var LOCAL_HEADER_SIZE = 30;
var CENTRAL_HEADER_SIZE = 46;
var EOCD_SIZE = 22;
var MAX_COMMENT = 65535;
var FLAG_ENCRYPTED = 1;
var FLAG_DESCRIPTOR = 8;
var FLAG_UTF8 = 2048;
var METHOD_STORED = 0;
var METHOD_DEFLATED = 8;
var DOS_DATE = 0 << 9 | 1 << 5 | 1;
var VERSION_MADE_BY_UNIX = 3 << 8 | 20;
var FILE_ATTRIBUTES = 33188 << 16 >>> 0;
var DIRECTORY_ATTRIBUTES = (16877 << 16 | 16) >>> 0;
var MAX_ENTRY_NAME_BYTES = 3072;
var MAX_COMPONENT_BYTES = 255;

// src/core/zip/reader.ts
import { open } from "node:fs/promises";
var ZIP64_EXTRA_ID = 1;
var utf8 = new TextDecoder("utf-8", { fatal: true });
function decodeName(raw) {
  try {
    return utf8.decode(raw);
  } catch {
    return raw.toString("utf8");
  }
}
function isValidUtf8(raw) {
  try {
    utf8.decode(raw);
    return true;
  } catch {
    return false;
  }
}
function hasZip64Extra(extra) {
  for (let p = 0; p + 4 <= extra.length; p += 4 + extra.readUInt16LE(p + 2)) {
    if (extra.readUInt16LE(p) === ZIP64_EXTRA_ID) return true;
  }
  return false;
}
function parseLocalHeader(bytes, offset) {
  const nameLength = bytes.readUInt16LE(26);
  const extraLength = bytes.readUInt16LE(28);
  const rawName = Buffer.from(bytes.subarray(LOCAL_HEADER_SIZE, LOCAL_HEADER_SIZE + nameLength));
  const header = {
    flags: bytes.readUInt16LE(6),
    method: bytes.readUInt16LE(8),
    crc32: bytes.readUInt32LE(14),
    compressedSize: bytes.readUInt32LE(18),
    size: bytes.readUInt32LE(22),
    rawName,
    headerLength: LOCAL_HEADER_SIZE + nameLength + extraLength
  };
  if (hasZip64Extra(bytes.subarray(LOCAL_HEADER_SIZE + nameLength, LOCAL_HEADER_SIZE + nameLength + extraLength))) {
    throw new ZipFormatError(
      `entry '${decodeName(rawName)}' at offset ${offset} uses ZIP64 sizes, which are not supported`
    );
  }
  return header;
}
function localHeaderLength(first30) {
  return LOCAL_HEADER_SIZE + first30.readUInt16LE(26) + first30.readUInt16LE(28);
}
function parseEndRecord(tail, tailStart) {
  let eocd = -1;
  for (let i = tail.length - EOCD_SIZE; i >= Math.max(0, tail.length - EOCD_SIZE - MAX_COMMENT); i--) {
    if (tail.readUInt32LE(i) === EOCD_SIGNATURE) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError("not a zip file: no end-of-central-directory record");
  if (eocd >= 20 && tail.readUInt32LE(eocd - 20) === ZIP64_LOCATOR_SIGNATURE) {
    throw new ZipFormatError("ZIP64 archives are not supported: a bundle must stay under 4 GiB and 65535 entries");
  }
  const diskNumber = tail.readUInt16LE(eocd + 4);
  const centralDisk = tail.readUInt16LE(eocd + 6);
  const entriesOnDisk = tail.readUInt16LE(eocd + 8);
  const count = tail.readUInt16LE(eocd + 10);
  if (diskNumber !== 0 || centralDisk !== 0 || entriesOnDisk !== count)
    throw new ZipFormatError("multi-disk (split) zip archives are not supported");
  const centralSize = tail.readUInt32LE(eocd + 12);
  const centralOffset = tail.readUInt32LE(eocd + 16);
  if (centralOffset + centralSize > tailStart + eocd)
    throw new ZipFormatError("the central directory lies outside the file (truncated or corrupt zip)");
  return { count, centralSize, centralOffset, eocdOffset: tailStart + eocd };
}
function parseCentralDirectory(central, count) {
  const entries = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + CENTRAL_HEADER_SIZE > central.length || central.readUInt32LE(p) !== CENTRAL_SIGNATURE) {
      throw new ZipFormatError(`central directory entry ${i + 1} of ${count} is missing or corrupt`);
    }
    const nameLength = central.readUInt16LE(p + 28);
    const extraLength = central.readUInt16LE(p + 30);
    const commentLength = central.readUInt16LE(p + 32);
    const nameStart = p + CENTRAL_HEADER_SIZE;
    const rawName = Buffer.from(central.subarray(nameStart, nameStart + nameLength));
    const entry = {
      name: decodeName(rawName),
      rawName,
      madeBy: central.readUInt8(p + 5),
      method: central.readUInt16LE(p + 10),
      flags: central.readUInt16LE(p + 8),
      crc32: central.readUInt32LE(p + 16),
      compressedSize: central.readUInt32LE(p + 20),
      size: central.readUInt32LE(p + 24),
      externalAttributes: central.readUInt32LE(p + 38),
      localHeaderOffset: central.readUInt32LE(p + 42)
    };
    if (hasZip64Extra(central.subarray(nameStart + nameLength, nameStart + nameLength + extraLength))) {
      throw new ZipFormatError(`entry '${entry.name}' uses ZIP64 sizes, which are not supported`);
    }
    if (central.readUInt16LE(p + 34) !== 0)
      throw new ZipFormatError(`entry '${entry.name}' starts on another disk (multi-disk zips are not supported)`);
    entries.push(entry);
    p += CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
  }
  return entries;
}
function crossCheck(local, localEnd, listing) {
  if (localEnd !== listing.centralDirectoryOffset) {
    const gap = listing.centralDirectoryOffset - localEnd;
    throw new ZipFormatError(
      gap > 0 ? `${gap} unexpected bytes between the last entry and the central directory` : `the central directory starts at offset ${listing.centralDirectoryOffset}, inside the entries (they end at ${localEnd})`
    );
  }
  const byOffset = new Map(local.map((entry) => [entry.localHeaderOffset, entry]));
  if (local.length !== listing.entries.length) {
    throw new ZipFormatError(
      `the local headers hold ${local.length} entries but the central directory lists ${listing.entries.length} (Android and iOS would see different files)`
    );
  }
  for (const central of listing.entries) {
    const found = byOffset.get(central.localHeaderOffset);
    if (!found)
      throw new ZipFormatError(
        `central directory entry '${central.name}' points at offset ${central.localHeaderOffset}, where no entry starts (Android and iOS would see different files)`
      );
    const where = `entry '${central.name}'`;
    if (!found.rawName.equals(central.rawName))
      throw new ZipFormatError(
        `${where}: the local header names it '${found.name}' (Android and iOS would see different files)`
      );
    if (found.method !== central.method)
      throw new ZipFormatError(`${where}: local and central headers disagree on the compression method`);
    if (found.crc32 !== central.crc32 || found.compressedSize !== central.compressedSize || found.size !== central.size) {
      throw new ZipFormatError(`${where}: local header CRC/sizes disagree with the central directory`);
    }
  }
}
async function readAt(handle, position, length) {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  if (bytesRead !== length)
    throw new ZipFormatError(`unexpected end of file at offset ${position} (wanted ${length} bytes, got ${bytesRead})`);
  return buffer;
}
async function listZipEntries(file, base = 0) {
  const handle = await open(file, "r");
  try {
    const { size: fileSize } = await handle.stat();
    if (fileSize < EOCD_SIZE)
      throw new ZipFormatError(`not a zip file: ${fileSize} bytes is too small for an end-of-central-directory record`);
    const tailLength = Math.min(fileSize, EOCD_SIZE + MAX_COMMENT);
    const end = parseEndRecord(await readAt(handle, fileSize - tailLength, tailLength), base + fileSize - tailLength);
    if (end.centralOffset < base) throw new ZipFormatError("the central directory starts before the entries it lists");
    const central = await readAt(handle, end.centralOffset - base, end.centralSize);
    return { entries: parseCentralDirectory(central, end.count), centralDirectoryOffset: end.centralOffset };
  } finally {
    await handle.close();
  }
}
async function checkLocalEntriesFrom(file, base, listing) {
  const byOffset = new Map(listing.entries.map((entry) => [entry.localHeaderOffset, entry]));
  const walked = [];
  const handle = await open(file, "r");
  try {
    let offset = base;
    while (offset < listing.centralDirectoryOffset) {
      const first = await readAt(handle, offset - base, LOCAL_HEADER_SIZE);
      if (first.readUInt32LE(0) !== LOCAL_SIGNATURE) {
        throw new ZipFormatError(
          `expected a local header at offset ${offset}; Android's ZipInputStream reads entries back to back from the start of the file`
        );
      }
      const header = parseLocalHeader(await readAt(handle, offset - base, localHeaderLength(first)), offset);
      const central = byOffset.get(offset);
      if (!central)
        throw new ZipFormatError(
          `the local header at offset ${offset} is not listed in the central directory (Android and iOS would see different files)`
        );
      const entry = localEntry(header, offset, central);
      const dataStart = offset + header.headerLength;
      const check = new EntryCheck(entry);
      for (let done = 0; done < entry.compressedSize; ) {
        const chunk = await readAt(handle, dataStart - base + done, Math.min(1 << 20, entry.compressedSize - done));
        await check.write(chunk);
        done += chunk.length;
      }
      await check.finish();
      offset = dataStart + entry.compressedSize;
      if (header.flags & FLAG_DESCRIPTOR) offset += await descriptorLength(handle, offset, base, entry);
      walked.push(entry);
    }
    return { entries: walked, end: offset };
  } finally {
    await handle.close();
  }
}
function localEntry(header, offset, central) {
  const entry = {
    name: decodeName(header.rawName),
    rawName: header.rawName,
    method: header.method,
    flags: header.flags,
    crc32: header.crc32,
    compressedSize: header.compressedSize,
    size: header.size,
    localHeaderOffset: offset
  };
  checkLocalHeader(entry);
  if (header.flags & FLAG_DESCRIPTOR && central) {
    entry.crc32 = central.crc32;
    entry.compressedSize = central.compressedSize;
    entry.size = central.size;
  }
  return entry;
}
function checkLocalHeader(entry) {
  const where = `entry '${entry.name}'`;
  if (entry.flags & FLAG_ENCRYPTED) throw new ZipFormatError(`${where} is zip-encrypted, which devices cannot read`);
  if (entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATED) {
    throw new ZipFormatError(
      `${where} uses compression method ${entry.method}; only stored (0) and deflated (8) are readable on devices`
    );
  }
  if (entry.method === METHOD_STORED && entry.flags & FLAG_DESCRIPTOR) {
    throw new ZipFormatError(
      `${where} is STORED with a data descriptor (flag bit 3), which Android's ZipInputStream cannot read ("only DEFLATED entries can have EXT descriptor")`
    );
  }
  if (!(entry.flags & FLAG_DESCRIPTOR)) {
    if (entry.method === METHOD_STORED && entry.compressedSize !== entry.size)
      throw new ZipFormatError(`${where} is STORED but its compressed and uncompressed sizes differ`);
    if (entry.method === METHOD_DEFLATED && entry.compressedSize === 0)
      throw new ZipFormatError(`${where} is deflated but has no compressed data`);
  }
}
async function descriptorLength(handle, offset, base, entry) {
  const descriptor = await readAt(handle, offset - base, 12);
  const signed = descriptor.readUInt32LE(0) === DESCRIPTOR_SIGNATURE;
  const fields = signed ? Buffer.concat([descriptor.subarray(4), await readAt(handle, offset - base + 12, 4)]) : descriptor;
  if (fields.readUInt32LE(0) !== entry.crc32 || fields.readUInt32LE(4) !== entry.compressedSize || fields.readUInt32LE(8) !== entry.size) {
    throw new ZipFormatError(
      `entry '${entry.name}': data descriptor disagrees with the central directory (crc ${hex32(fields.readUInt32LE(0))})`
    );
  }
  return signed ? 16 : 12;
}

// src/core/device-layout.ts
var MAX_NAME_BYTES = MAX_ENTRY_NAME_BYTES;
var UNIX_HOST = 3;
var S_IFMT = 61440;
var S_IFLNK = 40960;
function fail(message) {
  throw new ZipFormatError(message);
}
function checkBundleEntryNames(entries) {
  const files = /* @__PURE__ */ new Map();
  const folders = /* @__PURE__ */ new Set();
  const normalForms = /* @__PURE__ */ new Map();
  for (const entry of entries) {
    const { name, rawName } = entry;
    if (rawName.length === 0) fail("an entry has an empty name");
    if (!isValidUtf8(rawName)) {
      fail(
        `entry '${name}' has a name that is not valid UTF-8 (bytes ${rawName.toString("hex")}); Android's ZipInputStream throws on it`
      );
    }
    if (!(entry.flags & FLAG_UTF8) && /[^\x00-\x7f]/.test(name)) {
      fail(
        `entry '${name}' has a non-ASCII name without the UTF-8 flag (bit 11): Android reads it as UTF-8, iOS as CP437, so the two would install different file names`
      );
    }
    if (name.includes("\\")) fail(`entry '${name}' contains a backslash; Android rejects it (names must use '/')`);
    if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) fail(`entry '${name}' is an absolute path`);
    if (name.includes("\0")) fail(`entry '${name}' contains a NUL character`);
    const segments = name.split("/");
    if (segments.includes(".."))
      fail(`entry '${name}' has a '..' segment; devices reject paths escaping the bundle folder`);
    if (rawName.length > MAX_NAME_BYTES)
      fail(
        `entry '${name.slice(0, 60)}\u2026' has a ${rawName.length}-byte name; at most ${MAX_NAME_BYTES} bytes fit under the folder the plugin extracts into (PATH_MAX)`
      );
    const long = segments.find((segment) => Buffer.byteLength(segment) > MAX_COMPONENT_BYTES);
    if (long !== void 0)
      fail(
        `entry '${name}' has a path component of ${Buffer.byteLength(long)} bytes; phone file systems allow at most ${MAX_COMPONENT_BYTES}`
      );
    if (isSymlink(entry))
      fail(
        `entry '${name}' is a symbolic link: Android would install a file holding the link text, iOS a link, so the bundle would not be what was verified (bundle the target file itself)`
      );
    const parts = segments.filter((segment) => segment !== "" && segment !== ".");
    if (parts.length === 0)
      fail(`entry '${name}' names the bundle folder itself; Android refuses it ("Path escapes base directory")`);
    const path2 = parts.join("/");
    const isFolder = name.endsWith("/");
    if (isFolder) folders.add(path2);
    else {
      const earlier = files.get(path2);
      if (earlier !== void 0)
        fail(
          earlier === name ? `entry '${name}' appears twice` : `entries '${earlier}' and '${name}' are the same file on a device ('.' or empty segments)`
        );
      files.set(path2, name);
    }
    for (let i = 1; i < parts.length; i++) folders.add(parts.slice(0, i).join("/"));
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join("/");
      const normal = prefix.normalize("NFC");
      const twin = normalForms.get(normal);
      if (twin !== void 0 && twin !== prefix) {
        fail(
          `entries '${twin}' and '${prefix}' differ only in Unicode normalization (NFC/NFD): iOS (APFS) treats them as one name, so one would overwrite the other`
        );
      }
      normalForms.set(normal, prefix);
    }
  }
  for (const [path2, name] of files) {
    if (folders.has(path2))
      fail(`entry '${name}' is a file, and also a folder of other entries: no device can install both`);
  }
  if (!files.has("index.html")) {
    const nested = [...files.keys()].find((path2) => path2.endsWith("/index.html"));
    fail(
      `no index.html at the zip root${nested ? ` (found '${nested}': zip the CONTENTS of the web output folder, not the folder)` : ""}`
    );
  }
}
function isSymlink(entry) {
  return entry.madeBy === UNIX_HOST && ((entry.externalAttributes ?? 0) >>> 16 & S_IFMT) === S_IFLNK;
}

// src/core/zip/stream-reader.ts
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { mkdir } from "node:fs/promises";
import path from "node:path";
var MAX_PENDING = 4;
var MAX_PENDING_BYTES = 16 * 1024 * 1024;
var MAX_TAIL_BYTES = 64 * 1024 * 1024;
var LocalWalker = class {
  offset = 0;
  carry = Buffer.alloc(0);
  state = "header";
  current;
  walked = [];
  pending = [];
  pendingBytes = 0;
  tail = [];
  tailBytes = 0;
  tailStart = 0;
  spill;
  spillStart = 0;
  spillFile;
  inflateInThread;
  /**
   * `spillFile`: where to put the rest of the zip if an entry's end is only in the central directory.
   * `inflateInThread`: inflate small entries on this thread (a worker of its own; see EntryCheck).
   */
  constructor(spillFile, options = {}) {
    this.spillFile = spillFile;
    this.inflateInThread = options.inflateInThread ?? false;
  }
  /** Feed the next plaintext bytes, in order. Rejects with ZipFormatError as soon as something is wrong. */
  async write(chunk) {
    let data = chunk;
    while (data.length > 0) {
      if (this.state === "spill") {
        if (!this.spill.write(data)) await once(this.spill, "drain");
        return;
      }
      if (this.state === "tail") {
        this.tailBytes += data.length;
        if (this.tailBytes > MAX_TAIL_BYTES)
          throw new ZipFormatError(
            `more than ${MAX_TAIL_BYTES >> 20} MiB after the last entry: not a bundle's central directory`
          );
        this.tail.push(data);
        return;
      }
      if (this.state === "data") {
        const current = this.current;
        const take = Math.min(current.left, data.length);
        await current.check.write(data.subarray(0, take));
        current.left -= take;
        this.offset += take;
        data = data.subarray(take);
        if (current.left === 0) await this.entryDone();
        continue;
      }
      data = await this.header(data);
    }
  }
  /** Parse the next local header from `carry` + `data`; returns the bytes left over. */
  async header(data) {
    const bytes = this.carry.length ? Buffer.concat([this.carry, data]) : data;
    this.carry = Buffer.alloc(0);
    if (bytes.length < 4) {
      this.carry = Buffer.from(bytes);
      return Buffer.alloc(0);
    }
    const signature = bytes.readUInt32LE(0);
    if (signature !== LOCAL_SIGNATURE) {
      if (this.offset === 0 && signature !== EOCD_SIGNATURE)
        throw new ZipFormatError("not a zip file: it does not start with a local file header");
      this.state = "tail";
      this.tailStart = this.offset;
      return bytes;
    }
    if (bytes.length < LOCAL_HEADER_SIZE || bytes.length < localHeaderLength(bytes)) {
      this.carry = Buffer.from(bytes);
      return Buffer.alloc(0);
    }
    const header = parseLocalHeader(bytes, this.offset);
    if (header.flags & FLAG_DESCRIPTOR && header.method === METHOD_DEFLATED) {
      await this.startSpill(bytes);
      return Buffer.alloc(0);
    }
    const entry = localEntry(header, this.offset);
    this.current = {
      entry,
      check: new EntryCheck(entry, { inflateInThread: this.inflateInThread }),
      left: entry.compressedSize
    };
    this.walked.push(entry);
    this.offset += header.headerLength;
    this.state = "data";
    if (entry.compressedSize === 0) await this.entryDone();
    return bytes.subarray(header.headerLength);
  }
  async entryDone() {
    const { check, entry } = this.current;
    this.current = void 0;
    this.state = "header";
    const promise = check.finish();
    promise.catch(() => void 0);
    const bytes = entry.method === METHOD_DEFLATED ? entry.compressedSize : 0;
    this.pending.push({ promise, bytes, check });
    this.pendingBytes += bytes;
    while (this.pending.length > MAX_PENDING || this.pendingBytes > MAX_PENDING_BYTES) await this.settleOldest();
  }
  async settleOldest() {
    const oldest = this.pending.shift();
    this.pendingBytes -= oldest.bytes;
    await oldest.promise;
  }
  async startSpill(bytes) {
    this.state = "spill";
    this.spillStart = this.offset;
    this.spill = createWriteStream(await this.spillFile(), { mode: 384 });
    if (!this.spill.write(bytes)) await once(this.spill, "drain");
  }
  /** The last byte arrived: wait for every entry, read the central directory, cross-check. */
  async end() {
    while (this.pending.length) await this.settleOldest();
    if (this.state === "data") {
      const { entry, left } = this.current;
      throw new ZipFormatError(`the zip ends inside entry '${entry.name}' (${left} bytes missing)`);
    }
    if (this.state === "spill") {
      const spill = this.spill;
      spill.end();
      await once(spill, "close");
      const listing2 = await listZipEntries(spill.path, this.spillStart);
      const rest = await checkLocalEntriesFrom(spill.path, this.spillStart, listing2);
      crossCheck([...this.walked, ...rest.entries], rest.end, listing2);
      return { listing: listing2 };
    }
    if (this.state === "header" && this.carry.length === 0 && this.offset === 0)
      throw new ZipFormatError("not a zip file: it is empty");
    if (this.state === "header")
      throw new ZipFormatError(
        `not a zip file: no end-of-central-directory record (it ends at offset ${this.offset + this.carry.length})`
      );
    const tail = Buffer.concat(this.tail);
    this.tail = [];
    const end = parseEndRecord(tail, this.tailStart);
    if (end.centralOffset < this.tailStart) {
      throw new ZipFormatError(
        `the central directory starts at offset ${end.centralOffset}, inside the entries (they end at ${this.tailStart})`
      );
    }
    const start = end.centralOffset - this.tailStart;
    const listing = {
      entries: parseCentralDirectory(tail.subarray(start, start + end.centralSize), end.count),
      centralDirectoryOffset: end.centralOffset
    };
    crossCheck(this.walked, this.tailStart, listing);
    return { listing };
  }
  /**
   * Whether any bytes given to `write` may still be read: the central directory's (kept until the
   * end), the spill file's (written asynchronously), an entry's that is being inflated. When it is
   * false, the caller may free what it passed in (walk-worker.ts does, so memory stays flat).
   */
  holdsInput() {
    if (this.state === "tail" || this.state === "spill") return true;
    if (this.current?.check.holdsInput()) return true;
    return this.pending.some((item) => item.check.holdsInput());
  }
  /** Give up (a failure elsewhere): stop inflating, close the spill file. */
  abort() {
    this.current?.check.abort();
    this.spill?.destroy();
  }
};
function spillFileIn(dir) {
  return async () => {
    await mkdir(dir, { recursive: true, mode: 448 });
    return path.join(dir, "spill.zip");
  };
}

// src/core/zip/walk-worker.ts
var port = parentPort;
var { spillDir } = workerData;
var walker = new LocalWalker(spillFileIn(spillDir), { inflateInThread: true });
var failed = false;
var queue = Promise.resolve();
function fail2(error) {
  failed = true;
  walker.abort();
  port.postMessage({
    type: "failed",
    message: error instanceof Error ? error.message : String(error),
    zip: error instanceof ZipFormatError
  });
}
port.on("message", (request) => {
  queue = queue.then(async () => {
    if (request.type === "chunks") {
      let bytes = 0;
      for (const data of request.data) {
        if (!failed) await walker.write(Buffer.from(data)).catch(fail2);
        bytes += data.byteLength;
        if (!failed && !walker.holdsInput()) freeNow(new Uint8Array(data));
      }
      port.postMessage({ type: "ack", bytes });
      return;
    }
    if (failed) return;
    try {
      const { listing } = await walker.end();
      checkBundleEntryNames(listing.entries);
      port.postMessage({ type: "done", entries: listing.entries.length });
    } catch (error) {
      fail2(error);
    }
  });
});
