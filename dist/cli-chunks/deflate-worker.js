// src/core/zip/deflate-worker.ts
import { parentPort, workerData } from "node:worker_threads";

// src/core/zip/cache.ts
import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  closeSync as closeSync2,
  existsSync,
  mkdirSync,
  openSync as openSync2,
  readdirSync,
  readFileSync,
  readSync as readSync2,
  rmSync,
  statSync,
  writeFileSync,
  writeSync
} from "node:fs";
import path from "node:path";
import zlib2 from "node:zlib";

// src/core/zip/free-now.ts
function freeNow(buffer) {
  const memory = buffer.buffer;
  if (typeof memory.transfer !== "function") return;
  const spansAll = buffer.byteOffset === 0 && buffer.byteLength === memory.byteLength;
  if (!spansAll && memory.byteLength <= Buffer.poolSize) return;
  if (typeof SharedArrayBuffer !== "undefined" && memory instanceof SharedArrayBuffer) return;
  memory.transfer(0);
}

// src/core/zip/prepare.ts
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import zlib from "node:zlib";
var NOTIFY_APP_READY = Buffer.from("notifyAppReady");
var SMALL_FILE_LIMIT = 8 * 1024 * 1024;
var FileChangedError = class extends Error {
  constructor(file) {
    super(`${file} changed while the bundle was being written`);
    this.name = "FileChangedError";
  }
};
var FileReader = class {
  scratch = Buffer.allocUnsafeSlow(1 << 20);
  read(file, expectedSize) {
    if (expectedSize + 1 > this.scratch.length) this.scratch = Buffer.allocUnsafeSlow(expectedSize + 1);
    const fd = openSync(file, "r");
    try {
      let read = 0;
      for (; ; ) {
        const wanted = expectedSize + 1 - read;
        const n = readSync(fd, this.scratch, read, wanted, read);
        read += n;
        if (read > expectedSize) throw new FileChangedError(file);
        if (n < wanted) break;
      }
      if (read !== expectedSize) throw new FileChangedError(file);
      return this.scratch.subarray(0, read);
    } finally {
      closeSync(fd);
    }
  }
};
function prepareContent(content, task, cache2, output = "kept") {
  const crc = zlib.crc32(content);
  const sha256 = createHash("sha256").update(content).digest("hex");
  const base = {
    crc,
    sha256,
    size: content.length,
    mentionsNotifyAppReady: task.scanScript && content.includes(NOTIFY_APP_READY)
  };
  if (task.deflate && content.length > 0) {
    const hit = cache2?.get(sha256, task.level, content);
    if (hit)
      return {
        ...base,
        deflated: hit.length < content.length,
        data: hit.length < content.length ? hit : content,
        cached: true
      };
    const bound = deflateBound(content.length);
    const chunkSize = output === "copied" ? Math.max(bound, Buffer.poolSize + 1) : Math.max(64, bound);
    const packed = zlib.deflateRawSync(content, { level: task.level, chunkSize });
    cache2?.put(sha256, task.level, packed);
    if (packed.length < content.length) return { ...base, deflated: true, data: packed, cached: false };
    freeNow(packed);
  }
  return { ...base, deflated: false, data: content, cached: false };
}
function deflateBound(size) {
  return size + (size >> 10) + 64;
}
function prepareFile(task, reader2, cache2, output = "kept") {
  return prepareContent(reader2.read(task.file, task.size), task, cache2, output);
}

// src/core/zip/cache.ts
var CACHE_FORMAT = 2;
var WRITE_BYTES = 1024 * 1024;
var MAX_CANDIDATES = 3;
var INDEX_LINE = /^([0-9a-f]{64}) (\d{1,15}) (\d{1,10})$/;
function cacheGeneration(dir, level) {
  return path.join(dir, `v${CACHE_FORMAT}-zlib${process.versions.zlib}-l${level}`);
}
function readCacheIndex(generation) {
  const entries = [];
  for (const name of readdirSafe(generation).filter((file) => file.endsWith(".idx")).sort()) {
    let text;
    try {
      text = readFileSync(path.join(generation, name), "latin1");
    } catch {
      continue;
    }
    const pack = path.join(generation, `${name.slice(0, -4)}.pack`);
    for (const line of text.split("\n")) {
      const match = INDEX_LINE.exec(line);
      if (match) entries.push({ sha256: match[1], pack, offset: Number(match[2]), length: Number(match[3]) });
    }
  }
  return entries;
}
var FolderDeflateCache = class {
  counts = { hits: 0, misses: 0, rejected: 0 };
  dir;
  index = /* @__PURE__ */ new Map();
  packs = /* @__PURE__ */ new Map();
  writers = /* @__PURE__ */ new Map();
  scratch = Buffer.allocUnsafeSlow(1 << 16);
  constructor(dir) {
    this.dir = dir;
  }
  /** Candidates per content hash, newest (last listed) first. */
  entries(level) {
    let entries = this.index.get(`${level}`);
    if (!entries) {
      entries = /* @__PURE__ */ new Map();
      for (const entry of readCacheIndex(cacheGeneration(this.dir, level))) {
        const list = entries.get(entry.sha256);
        if (list) list.unshift(entry);
        else entries.set(entry.sha256, [entry]);
      }
      this.index.set(`${level}`, entries);
    }
    return entries;
  }
  /**
   * Reads the index of every level this folder holds now, instead of at the first lookup: a deflate
   * worker does it while it waits for its first batch (~10 ms for 3,500 entries, off the critical path).
   */
  preload() {
    for (let level = 1; level <= 9; level++) if (existsSync(cacheGeneration(this.dir, level))) this.entries(level);
  }
  get(sha256, level, content) {
    const candidates = this.entries(level).get(sha256);
    if (!candidates) {
      this.counts.misses++;
      return void 0;
    }
    for (const entry of candidates.slice(0, MAX_CANDIDATES)) {
      const stored = this.checked(entry, content);
      if (stored) {
        this.counts.hits++;
        return stored;
      }
    }
    this.counts.rejected++;
    return void 0;
  }
  /** The entry's data if it inflates to exactly `content`; undefined otherwise. */
  checked(entry, content) {
    const size = content.length;
    if (entry.length > deflateBound(size)) return void 0;
    try {
      const stored = this.readEntry(entry);
      const plain = zlib2.inflateRawSync(stored, {
        maxOutputLength: Math.max(1, size),
        chunkSize: Math.max(size + 1, Buffer.poolSize + 1)
      });
      const same = plain.equals(content);
      freeNow(plain);
      return same ? stored : void 0;
    } catch {
      return void 0;
    }
  }
  readEntry(entry) {
    let fd = this.packs.get(entry.pack);
    if (fd === void 0) {
      fd = openSync2(entry.pack, "r");
      this.packs.set(entry.pack, fd);
    }
    if (this.scratch.length < entry.length) this.scratch = Buffer.allocUnsafeSlow(entry.length);
    const read = readSync2(fd, this.scratch, 0, entry.length, entry.offset);
    if (read !== entry.length) throw new Error("short read");
    return this.scratch.subarray(0, read);
  }
  /** Stores `deflated` for this content; copies it (the caller may free or reuse it afterwards). */
  put(sha256, level, deflated) {
    let writer = this.writers.get(level);
    if (!writer) {
      const generation = cacheGeneration(this.dir, level);
      const id = `${Date.now().toString(36)}-${randomBytes(6).toString("hex")}`;
      writer = {
        pack: path.join(generation, `${id}.pack`),
        idx: path.join(generation, `${id}.idx`),
        offset: 0,
        pending: Buffer.allocUnsafeSlow(WRITE_BYTES),
        used: 0,
        lines: []
      };
      this.writers.set(level, writer);
    }
    if (writer.used + deflated.length > writer.pending.length) {
      this.flushWriter(writer);
      if (deflated.length > writer.pending.length) writer.pending = Buffer.allocUnsafeSlow(deflated.length);
    }
    writer.used += deflated.copy(writer.pending, writer.used);
    writer.lines.push(`${sha256} ${writer.offset} ${deflated.length}
`);
    writer.offset += deflated.length;
  }
  flushWriter(writer) {
    if (writer.lines.length === 0) return;
    const data = writer.pending.subarray(0, writer.used);
    const lines = writer.lines.join("");
    writer.used = 0;
    writer.lines = [];
    try {
      mkdirSync(path.dirname(writer.pack), { recursive: true });
      appendFileSync(writer.pack, data);
      appendFileSync(writer.idx, lines);
    } catch {
    }
  }
  /** Writes what is buffered and closes the packs read. */
  flush() {
    for (const writer of this.writers.values()) this.flushWriter(writer);
    for (const fd of this.packs.values()) closeSync2(fd);
    this.packs.clear();
  }
};
var TRIM_SLACK_BYTES = 64 * 1024 * 1024;
function readdirSafe(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

// src/core/zip/deflate-worker.ts
var MIN_BATCH_BUFFER = 1024 * 1024;
var MAX_SPARES = 4;
var spares = [];
function batchBuffer(bytes) {
  const index = spares.findIndex((spare) => spare.byteLength >= bytes);
  if (index >= 0) return spares.splice(index, 1)[0];
  return Buffer.allocUnsafeSlow(Math.max(bytes, MIN_BATCH_BUFFER)).buffer;
}
var options = workerData ?? {};
var reader = new FileReader();
var cache = options.cacheDir ? new FolderDeflateCache(options.cacheDir) : void 0;
if (cache) setImmediate(() => cache.preload());
var reported = { hits: 0, misses: 0, rejected: 0 };
function runBatch(tasks) {
  const data = batchBuffer(tasks.reduce((sum, task) => sum + task.size, 0));
  const view = Buffer.from(data);
  const results = [];
  let offset = 0;
  for (const task of tasks) {
    try {
      const { data: bytes, ...prepared } = prepareFile(task, reader, cache, "copied");
      const length = bytes.copy(view, offset);
      results.push({ ...prepared, id: task.id, offset, length });
      offset += length;
      if (prepared.deflated && !prepared.cached) freeNow(bytes);
    } catch (error) {
      const failure = error;
      results.push({
        id: task.id,
        crc: 0,
        sha256: "",
        size: 0,
        deflated: false,
        mentionsNotifyAppReady: false,
        cached: false,
        offset: 0,
        length: 0,
        error: {
          message: String(failure?.message ?? failure),
          code: failure?.code,
          changed: failure?.name === "FileChangedError"
        }
      });
    }
  }
  let counts;
  if (cache) {
    const now = cache.counts;
    counts = {
      hits: now.hits - reported.hits,
      misses: now.misses - reported.misses,
      rejected: now.rejected - reported.rejected
    };
    reported = { ...now };
  }
  return { results, data, cache: counts };
}
parentPort.on("message", (message) => {
  if ("recycle" in message) {
    if (spares.length < MAX_SPARES) spares.push(message.recycle);
    return;
  }
  if (!Array.isArray(message)) {
    cache?.flush();
    parentPort.postMessage({ flushed: true });
    return;
  }
  const reply = runBatch(message);
  parentPort.postMessage(reply, [reply.data]);
});
