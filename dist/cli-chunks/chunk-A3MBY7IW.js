#!/usr/bin/env node
import { createRequire as __liveUpdateCreateRequire } from 'node:module';
const require = __liveUpdateCreateRequire(import.meta.url);

// src/core/zip/early-workers.ts
import os from "node:os";

// src/core/zip/deflate-pool.ts
import { Worker } from "node:worker_threads";

// src/core/zip/prepare.ts
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

// src/core/zip/free-now.ts
function freeNow(buffer) {
  const memory = buffer.buffer;
  if (typeof memory.transfer !== "function") return;
  const spansAll = buffer.byteOffset === 0 && buffer.byteLength === memory.byteLength;
  if (!spansAll && memory.byteLength <= Buffer.poolSize) return;
  if (typeof SharedArrayBuffer !== "undefined" && memory instanceof SharedArrayBuffer) return;
  memory.transfer(0);
}
function memoryToTransfer(bytes) {
  const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  return owned ? bytes.buffer : new Uint8Array(bytes).buffer;
}

// src/core/zip/prepare.ts
var PRECOMPRESSED = /* @__PURE__ */ new Set([
  "png",
  "jpg",
  "jpeg",
  "gif",
  "webp",
  "avif",
  "heic",
  "heif",
  "jxl",
  "ico",
  "woff",
  "woff2",
  "mp3",
  "mp4",
  "m4a",
  "m4v",
  "aac",
  "ogg",
  "oga",
  "opus",
  "webm",
  "mov",
  "zip",
  "gz",
  "tgz",
  "br",
  "zst",
  "xz",
  "bz2",
  "7z",
  "rar",
  "pdf"
]);
var SCRIPT_EXTENSIONS = /* @__PURE__ */ new Set(["js", "mjs", "cjs"]);
var NOTIFY_APP_READY = Buffer.from("notifyAppReady");
var SMALL_FILE_LIMIT = 8 * 1024 * 1024;
function extensionOf(name) {
  return path.posix.extname(name).slice(1).toLowerCase();
}
function shouldDeflate(name) {
  return !PRECOMPRESSED.has(extensionOf(name));
}
function isScript(name) {
  return SCRIPT_EXTENSIONS.has(extensionOf(name));
}
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
function prepareContent(content, task, cache, output = "kept") {
  const crc = zlib.crc32(content);
  const sha256 = createHash("sha256").update(content).digest("hex");
  const base = {
    crc,
    sha256,
    size: content.length,
    mentionsNotifyAppReady: task.scanScript && content.includes(NOTIFY_APP_READY)
  };
  if (task.deflate && content.length > 0) {
    const hit = cache?.get(sha256, task.level, content);
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
    cache?.put(sha256, task.level, packed);
    if (packed.length < content.length) return { ...base, deflated: true, data: packed, cached: false };
    freeNow(packed);
  }
  return { ...base, deflated: false, data: content, cached: false };
}
function deflateBound(size) {
  return size + (size >> 10) + 64;
}
function prepareFile(task, reader, cache, output = "kept") {
  return prepareContent(reader.read(task.file, task.size), task, cache, output);
}

// src/core/zip/worker-module.ts
import { existsSync } from "node:fs";
function workerModule(name, base) {
  const built = new URL(`./${name}.js`, base);
  return existsSync(built) ? { url: built, built: true } : { url: new URL(`./${name}.ts`, base), built: false };
}

// src/core/zip/deflate-pool.ts
var BATCHES_IN_FLIGHT = 2;
var BATCH_FILES = 32;
var BATCH_BYTES = 1024 * 1024;
function workerError(error, task) {
  if (error.changed) return new FileChangedError(task.file);
  return Object.assign(new Error(error.message), { code: error.code });
}
var DeflatePool = class {
  workers = [];
  /** Batches each worker holds. */
  inFlight = /* @__PURE__ */ new Map();
  queue = [];
  running = /* @__PURE__ */ new Map();
  options;
  flushed = /* @__PURE__ */ new Map();
  nextId = 0;
  closed = false;
  dispatchQueued = false;
  cacheCounts = { hits: 0, misses: 0, rejected: 0 };
  constructor(size, options = {}) {
    this.options = options;
    for (let i = 0; i < size; i++) this.add(this.spawn());
  }
  add(worker) {
    this.workers.push(worker);
    this.inFlight.set(worker, 0);
  }
  spawn() {
    const worker = new Worker(workerModule("deflate-worker", import.meta.url).url, {
      workerData: this.options,
      resourceLimits: this.options.cacheDir ? { maxYoungGenerationSizeMb: 4 } : { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 24 }
    });
    worker.unref();
    worker.on("message", (reply) => {
      if ("flushed" in reply) this.flushed.get(worker)?.();
      else this.receive(worker, reply);
    });
    worker.on("error", (error) => this.failWorker(worker, error));
    return worker;
  }
  receive(worker, reply) {
    if (reply.cache) {
      this.cacheCounts.hits += reply.cache.hits;
      this.cacheCounts.misses += reply.cache.misses;
      this.cacheCounts.rejected += reply.cache.rejected;
    }
    let holders = reply.results.filter((result) => !result.error && this.running.has(result.id)).length;
    const release = () => {
      if (--holders === 0) this.recycle(worker, reply.data);
    };
    for (const result of reply.results) {
      const running = this.running.get(result.id);
      if (!running) continue;
      this.running.delete(result.id);
      const { job } = running;
      if (result.error) {
        job.reject(workerError(result.error, job.task));
        continue;
      }
      const { id: _id, offset, length, error: _error, ...fields } = result;
      let released = false;
      job.resolve({
        ...fields,
        data: Buffer.from(reply.data, offset, length),
        release: () => {
          if (released) return;
          released = true;
          release();
        }
      });
    }
    this.inFlight.set(worker, Math.max(0, this.inFlight.get(worker) - 1));
    this.dispatch();
  }
  recycle(worker, buffer) {
    if (this.closed || !this.inFlight.has(worker)) return;
    worker.postMessage({ recycle: buffer }, [buffer]);
  }
  failWorker(worker, error) {
    for (const [id, running] of this.running) {
      if (running.worker !== worker) continue;
      this.running.delete(id);
      running.job.reject(error);
    }
    this.workers.splice(this.workers.indexOf(worker), 1);
    this.inFlight.delete(worker);
    if (!this.closed) this.add(this.spawn());
    this.dispatch();
  }
  /** Deferred to a microtask, so the tasks a caller queues in one go share batches. */
  scheduleDispatch() {
    if (this.dispatchQueued) return;
    this.dispatchQueued = true;
    queueMicrotask(() => {
      this.dispatchQueued = false;
      this.dispatch();
    });
  }
  /** The worker holding the fewest batches, if it has room for another. */
  leastBusy() {
    let best;
    for (const worker of this.workers)
      if (best === void 0 || this.inFlight.get(worker) < this.inFlight.get(best)) best = worker;
    return best !== void 0 && this.inFlight.get(best) < BATCHES_IN_FLIGHT ? best : void 0;
  }
  dispatch() {
    for (let worker = this.leastBusy(); !this.closed && worker && this.queue.length > 0; worker = this.leastBusy()) {
      const slots = this.workers.reduce((sum, each) => sum + BATCHES_IN_FLIGHT - this.inFlight.get(each), 0);
      const share = Math.min(BATCH_FILES, Math.ceil(this.queue.length / slots));
      const batch = [];
      let bytes = 0;
      while (this.queue.length > 0 && batch.length < share && (batch.length === 0 || bytes + this.queue[0].task.size <= BATCH_BYTES)) {
        const job = this.queue.shift();
        const id = this.nextId++;
        this.running.set(id, { worker, job });
        batch.push({ ...job.task, id });
        bytes += job.task.size;
      }
      this.inFlight.set(worker, this.inFlight.get(worker) + 1);
      worker.postMessage(batch);
    }
  }
  run(task) {
    if (this.closed) return Promise.reject(new Error("deflate pool is closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.scheduleDispatch();
    });
  }
  /**
   * Ends the workers without waiting for them: a worker still starting up takes up to ~150 ms to
   * stop, which a small bundle would otherwise spend idle. They are unref'd and hold nothing.
   */
  async close() {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error("deflate pool closed"));
    const workers = this.workers.splice(0);
    if (this.options.cacheDir) {
      await Promise.all(
        workers.map(
          (worker) => new Promise((resolve) => {
            const done = () => {
              clearTimeout(timer);
              resolve();
            };
            const timer = setTimeout(done, 1e4);
            this.flushed.set(worker, done);
            worker.once("exit", done);
            worker.postMessage({ flush: true });
          })
        )
      );
    }
    for (const worker of workers) void worker.terminate().catch(() => void 0);
  }
};

// src/core/zip/early-workers.ts
var early;
function startDeflateWorkersEarly(cacheDir) {
  const cores = os.availableParallelism();
  if (!early && cores > 1) early = { pool: new DeflatePool(cores, { cacheDir }), cacheDir };
}
function adoptEarlyDeflateWorkers(cacheDir) {
  const taken = early;
  early = void 0;
  if (!taken) return void 0;
  if (taken.cacheDir === cacheDir) return taken.pool;
  void taken.pool.close();
  return void 0;
}
async function closeEarlyDeflateWorkers() {
  const taken = early;
  early = void 0;
  await taken?.pool.close();
}

export {
  freeNow,
  memoryToTransfer,
  NOTIFY_APP_READY,
  SMALL_FILE_LIMIT,
  shouldDeflate,
  isScript,
  FileChangedError,
  FileReader,
  deflateBound,
  prepareFile,
  workerModule,
  DeflatePool,
  startDeflateWorkersEarly,
  adoptEarlyDeflateWorkers,
  closeEarlyDeflateWorkers
};
