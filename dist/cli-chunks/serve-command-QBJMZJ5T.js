#!/usr/bin/env node
import { createRequire as __liveUpdateCreateRequire } from 'node:module';
const require = __liveUpdateCreateRequire(import.meta.url);
import {
  appRecordKey,
  channelRecordKey,
  releaseRecordKey
} from "./chunk-LE5UPXP4.js";
import {
  UsageError,
  safeUrl
} from "./chunk-NMXVV454.js";
import {
  ExitCode
} from "./chunk-JDJCEH7T.js";
import "./chunk-ITKJ3MZF.js";

// src/cli/serve-command.ts
import { parseArgs } from "node:util";

// src/entries/node-server.ts
import { createServer } from "node:http";
async function startNodeServer(responder, options) {
  const log = options.log ?? (() => void 0);
  const pending = /* @__PURE__ */ new Set();
  const context = {
    waitUntil(promise) {
      const tracked = promise.catch(() => void 0).finally(() => pending.delete(tracked));
      pending.add(tracked);
    }
  };
  const server = createServer((req, res) => {
    handle(responder, req, res, context).catch((error) => {
      log(`responder: cannot answer ${req.method} ${req.url}: ${error?.message ?? String(error)}`);
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end('{"error":"internal_error","message":"unexpected error"}');
    });
  });
  server.requestTimeout = 3e4;
  server.headersTimeout = 1e4;
  server.keepAliveTimeout = 5e3;
  const host = options.host ?? "127.0.0.1";
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${shownHost}:${address.port}`,
    async close() {
      await new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await Promise.all(pending);
    }
  };
}
async function handle(responder, req, res, context) {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  const request = new Request(new URL(req.url ?? "/", "http://localhost"), {
    method,
    headers,
    body: hasBody ? await readCapped(req) : void 0
  });
  const response = await responder.fetch(request, context);
  const body = method === "HEAD" ? Buffer.alloc(0) : Buffer.from(await response.arrayBuffer());
  const out = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") out[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) out["set-cookie"] = cookies;
  out["content-length"] = String(body.length);
  const unread = hasBody && !req.complete;
  if (unread) out.connection = "close";
  res.writeHead(response.status, out);
  res.end(body, () => {
    if (unread) req.destroy();
  });
}
var BODY_CAP = 1024 * 1024 + 1;
function readCapped(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    const done = () => {
      req.off("data", onData);
      req.off("end", done);
      req.off("error", reject);
      const body = Buffer.concat(chunks, size);
      resolve(new Uint8Array(body.buffer, body.byteOffset, Math.min(size, BODY_CAP)));
    };
    const onData = (chunk) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= BODY_CAP) {
        req.pause();
        done();
      }
    };
    req.on("data", onData);
    req.once("end", done);
    req.once("error", reject);
  });
}

// src/server/rollout.ts
var ROLLOUT_BUCKETS = 1e4;
var encoder = new TextEncoder();
async function rolloutBucket(deviceId, version) {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(`${deviceId.toLowerCase()}:${version}`));
  return new DataView(digest).getUint32(0) % ROLLOUT_BUCKETS;
}
async function inRollout(deviceId, version, percentage) {
  return await rolloutBucket(deviceId, version) < Math.round(percentage * (ROLLOUT_BUCKETS / 100));
}

// src/server/semver.ts
var LOOSE = /^v?(\d{1,9})(?:\.(\d{1,9}))?(?:\.(\d{1,9}))?(?:-([0-9A-Za-z.-]{1,64}))?(?:\+[0-9A-Za-z.-]{0,64})?$/;
function parseLooseVersion(text2) {
  const match = LOOSE.exec(text2.trim());
  if (!match) return void 0;
  return {
    parts: [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)],
    prerelease: match[4] ? match[4].split(".") : []
  };
}
function compareVersions(a, b) {
  for (let i = 0; i < 3; i++) {
    if (a.parts[i] !== b.parts[i]) return a.parts[i] < b.parts[i] ? -1 : 1;
  }
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    return a.prerelease.length === b.prerelease.length ? 0 : a.prerelease.length === 0 ? 1 : -1;
  }
  const length = Math.min(a.prerelease.length, b.prerelease.length);
  for (let i = 0; i < length; i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === y) continue;
    const xNum = /^\d+$/.test(x);
    const yNum = /^\d+$/.test(y);
    if (xNum && yNum) return Number(x) < Number(y) ? -1 : 1;
    if (xNum !== yNum) return xNum ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return Math.sign(a.prerelease.length - b.prerelease.length);
}
function pluginSupportsManifest(pluginVersion) {
  const version = parseLooseVersion(pluginVersion);
  if (!version) return false;
  const [major] = version.parts;
  const floor = { 5: "5.10.0", 6: "6.25.0", 7: "7.0.35" };
  if (major >= 8) return true;
  if (!floor[major]) return false;
  return compareVersions(version, parseLooseVersion(floor[major])) >= 0;
}

// src/server/decide.ts
var refuse = (kind, error, message) => ({
  type: "refuse",
  kind,
  error,
  message
});
function resolveChannel(device, app) {
  const name = device.defaultChannel ?? app.defaultChannel;
  if (!app.channels.includes(name)) {
    return {
      kind: "failed",
      error: "channel_not_found",
      message: `channel '${name}' does not exist for ${app.appId}; known: ${app.channels.join(", ") || "none"}`
    };
  }
  return { name };
}
async function decide(device, channel) {
  let pointer = channel.stable;
  let rollout = false;
  if (channel.rollout && await inRollout(device.device_id, channel.rollout.release.version, channel.rollout.percentage)) {
    pointer = channel.rollout.release;
    rollout = true;
  }
  if (!pointer) return refuse("failed", "no_bundle", `channel '${channel.channel}' has no release yet`);
  if (device.key_id && pointer.keyId && device.key_id.length >= 20 && device.key_id !== pointer.keyId) {
    return refuse(
      "blocked",
      "key_id_mismatch",
      `the app's public key (key_id ${device.key_id}) is not the one release ${pointer.version} was signed with (${pointer.keyId}): update the publicKey in capacitor.config or publish with the matching key`
    );
  }
  if (device.version_name === pointer.version) {
    return refuse(
      "up_to_date",
      "no_new_version_available",
      `already on ${pointer.version}, the latest release of channel '${channel.channel}'`
    );
  }
  for (const [floor, what] of [
    [channel.nativeFloor, `channel '${channel.channel}'`],
    [pointer.minNativeVersion, `release ${pointer.version}`]
  ]) {
    if (!floor) continue;
    const native = parseLooseVersion(device.version_build);
    const minimum = parseLooseVersion(floor);
    if (!minimum) return refuse("failed", "misconfigured_channel", `${what} has an unreadable native floor '${floor}'`);
    if (!native)
      return refuse(
        "blocked",
        "unknown_version_build",
        `native version '${device.version_build}' is not a version number, and ${what} needs native ${floor} or later`
      );
    if (compareVersions(native, minimum) < 0) {
      return refuse(
        "blocked",
        "native_version_below_floor",
        `${what} needs native app ${floor} or later; this device runs ${device.version_build}: ship a store update first`
      );
    }
  }
  return { type: "update", pointer, channel: channel.channel, rollout };
}

// src/server/state.ts
var StateInvalidError = class extends Error {
  constructor(key, problem) {
    super(`${key}: ${problem}`);
    this.name = "StateInvalidError";
  }
};
var APP_ID = /^[a-z0-9]+(\.[\w-]+)+$/i;
var CHANNEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
var appKey = appRecordKey;
var channelKey = channelRecordKey;
function manifestKeyOf(pointer) {
  const suffix = releaseRecordKey("");
  if (!pointer.manifestUrl || !pointer.record.endsWith(suffix)) return void 0;
  return `${pointer.record.slice(0, -suffix.length)}.manifest.json`;
}
function parseObject(key, text2) {
  let value;
  try {
    value = JSON.parse(text2);
  } catch {
    throw new StateInvalidError(key, "not valid JSON");
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new StateInvalidError(key, "not a JSON object");
  return value;
}
function str(key, source, field, optional = false) {
  const value = source[field];
  if (value === void 0 || value === null) {
    if (optional) return void 0;
    throw new StateInvalidError(key, `missing '${field}'`);
  }
  if (typeof value !== "string") throw new StateInvalidError(key, `'${field}' must be a string`);
  return value;
}
function checkSchema(key, json) {
  if (json.schema !== 1)
    throw new StateInvalidError(
      key,
      `unsupported schema ${JSON.stringify(json.schema)} (this responder reads schema 1)`
    );
}
function parseAppRecord(key, text2) {
  const json = parseObject(key, text2);
  checkSchema(key, json);
  const channels = json.channels;
  if (!Array.isArray(channels) || !channels.every((name) => typeof name === "string" && CHANNEL.test(name))) {
    throw new StateInvalidError(key, "'channels' must be a list of channel names");
  }
  const defaultChannel = str(key, json, "defaultChannel");
  return { appId: str(key, json, "appId"), defaultChannel, channels };
}
function parsePointer(key, value, where) {
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new StateInvalidError(key, `'${where}' must be an object`);
  const json = value;
  const at = (field, optional = false) => {
    try {
      return str(key, json, field, optional);
    } catch {
      throw new StateInvalidError(key, `'${where}.${field}' is missing or not a string`);
    }
  };
  const url = at("url");
  if (!/^https?:\/\//.test(url)) throw new StateInvalidError(key, `'${where}.url' must be an http(s) URL`);
  const zipSize = json.zipSize;
  return {
    version: at("version"),
    record: at("record"),
    url,
    sessionKey: at("sessionKey"),
    checksum: at("checksum"),
    signature: at("signature", true) ?? "",
    keyId: at("keyId", true) ?? "",
    zipSize: typeof zipSize === "number" ? zipSize : 0,
    minNativeVersion: at("minNativeVersion", true),
    manifestUrl: at("manifestUrl", true),
    manifestSignature: at("manifestSignature", true)
  };
}
function parseChannelRecord(key, text2) {
  const json = parseObject(key, text2);
  checkSchema(key, json);
  const stable = json.stable === null || json.stable === void 0 ? null : parsePointer(key, json.stable, "stable");
  let rollout = null;
  if (json.rollout !== null && json.rollout !== void 0) {
    const raw = json.rollout;
    const percentage = raw?.percentage;
    if (typeof percentage !== "number" || !(percentage > 0) || percentage > 100) {
      throw new StateInvalidError(key, "'rollout.percentage' must be a number in (0, 100]");
    }
    rollout = { release: parsePointer(key, raw.release, "rollout.release"), percentage };
  }
  const revision = typeof json.revision === "number" ? json.revision : 0;
  return {
    appId: str(key, json, "appId"),
    channel: str(key, json, "channel"),
    revision,
    stable,
    rollout,
    nativeFloor: str(key, json, "nativeFloor", true)
  };
}
function parseManifest(key, text2) {
  let value;
  try {
    value = JSON.parse(text2);
  } catch {
    throw new StateInvalidError(key, "not valid JSON");
  }
  if (!Array.isArray(value)) throw new StateInvalidError(key, "a manifest must be a JSON array");
  for (const entry of value) {
    const ok = entry && typeof entry.file_name === "string" && typeof entry.file_hash === "string" && typeof entry.download_url === "string";
    if (!ok)
      throw new StateInvalidError(key, "every manifest entry needs file_name, file_hash and download_url strings");
  }
  return value.map((entry) => ({
    file_name: entry.file_name,
    file_hash: entry.file_hash,
    download_url: entry.download_url
  }));
}
var StateStore = class {
  constructor(reader, maxEntries = 1e3) {
    this.reader = reader;
    this.maxEntries = maxEntries;
  }
  reader;
  maxEntries;
  parsed = /* @__PURE__ */ new Map();
  async app(appId) {
    return this.load(appKey(appId), parseAppRecord);
  }
  async channel(appId, channel) {
    return this.load(channelKey(appId, channel), parseChannelRecord);
  }
  async manifest(key) {
    return this.load(key, parseManifest);
  }
  async load(key, parse) {
    const text2 = await this.reader.read(key);
    if (text2 === null) return null;
    const memo = this.parsed.get(key);
    if (memo && memo.text === text2) return memo.value;
    const value = parse(key, text2);
    while (this.parsed.size >= this.maxEntries) this.parsed.delete(this.parsed.keys().next().value);
    this.parsed.set(key, { text: text2, value });
    return value;
  }
};

// src/server/device-request.ts
var RequestError = class extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
    this.name = "RequestError";
  }
  status;
  code;
};
async function readJsonBody(request, limit) {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/(?:[\w.+-]*\+)?json\b/i.test(type.trim())) {
    throw new RequestError(
      415,
      "unsupported_content_type",
      `send JSON with 'Content-Type: application/json' (got '${type.slice(0, 60) || "none"}')`
    );
  }
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    throw new RequestError(413, "body_too_large", `the body is ${declared} bytes; at most ${limit} are accepted here`);
  }
  const bytes = await readBounded(request, limit);
  let text2;
  try {
    text2 = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new RequestError(400, "invalid_json", "the body is not UTF-8 text");
  }
  try {
    return JSON.parse(text2);
  } catch {
    throw new RequestError(400, "invalid_json", "the body is not valid JSON");
  }
}
async function readBounded(request, limit) {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (; ; ) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => void 0);
      throw new RequestError(
        413,
        "body_too_large",
        `the body is over ${limit} bytes; at most ${limit} are accepted here`
      );
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
var DEVICE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
var PLATFORMS = /* @__PURE__ */ new Set(["ios", "android", "electron"]);
function invalid(field, why) {
  return new RequestError(400, "invalid_request", `'${field}' ${why}`);
}
function text(source, field, max, required) {
  const value = source[field];
  if (value === void 0 || value === null) {
    if (required) throw invalid(field, "is missing");
    return void 0;
  }
  if (typeof value !== "string") throw invalid(field, "must be a string");
  if (value.length > max) throw invalid(field, `must be at most ${max} characters`);
  return value;
}
function parseDeviceInfo(value, fromQuery = false) {
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new RequestError(400, "invalid_request", "the body must be a JSON object with the plugin's device fields");
  }
  const source = value;
  const appId = text(source, "app_id", 255, true);
  if (!APP_ID.test(appId)) throw invalid("app_id", "must be a reverse-domain app id such as com.example.app");
  const deviceId = text(source, "device_id", 36, true);
  if (!DEVICE_ID.test(deviceId)) throw invalid("device_id", "must be a UUID (the plugin's device id)");
  const platform = text(source, "platform", 16, true);
  if (!PLATFORMS.has(platform)) throw invalid("platform", "must be 'ios', 'android' or 'electron'");
  const flag = (field) => {
    const raw = source[field];
    if (typeof raw === "boolean") return raw;
    if (fromQuery && (raw === "true" || raw === "false")) return raw === "true";
    if (raw === void 0) return false;
    throw invalid(field, "must be a boolean");
  };
  const channelName = (field) => {
    const name = text(source, field, 128, false);
    if (name === void 0 || name === "") return void 0;
    if (!CHANNEL.test(name)) throw invalid(field, "is not a valid channel name (letters, digits, . _ -)");
    return name;
  };
  return {
    platform,
    device_id: deviceId.toLowerCase(),
    app_id: appId,
    version_name: text(source, "version_name", 255, true),
    version_build: text(source, "version_build", 255, true),
    plugin_version: text(source, "plugin_version", 64, true),
    is_emulator: flag("is_emulator"),
    is_prod: flag("is_prod"),
    defaultChannel: channelName("defaultChannel"),
    key_id: text(source, "key_id", 20, false) || void 0,
    channel: channelName("channel")
  };
}

// src/server/reader.ts
var StateReadError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "StateReadError";
  }
};
function httpStateReader(baseUrl, options = {}) {
  const base = new URL(baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  if (base.protocol !== "https:" && base.protocol !== "http:")
    throw new Error(`state URL must be http(s), got ${base.protocol}`);
  if (base.username || base.password) throw new Error("state URL must not contain credentials");
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5e3;
  const shown = `${base.origin}${base.pathname}`;
  return {
    describe: () => shown,
    async read(key) {
      const url = new URL(key.split("/").map(encodeURIComponent).join("/"), base);
      let response;
      try {
        response = await doFetch(url, {
          signal: AbortSignal.timeout(timeoutMs),
          headers: { accept: "application/json" }
        });
      } catch (error) {
        throw new StateReadError(`cannot read ${key} from ${shown}: ${error?.message ?? String(error)}`);
      }
      if (response.status === 404 || response.status === 403) {
        await response.body?.cancel();
        return null;
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new StateReadError(`cannot read ${key} from ${shown}: HTTP ${response.status}`);
      }
      return await response.text();
    }
  };
}
function cachedStateReader(reader, options) {
  const maxEntries = options.maxEntries ?? 1e3;
  const now = options.now ?? Date.now;
  const entries = /* @__PURE__ */ new Map();
  return {
    describe: () => reader.describe(),
    clear: () => entries.clear(),
    read(key) {
      if (options.ttlMs <= 0) return reader.read(key);
      const time = now();
      const hit = entries.get(key);
      if (hit && hit.expires > time) return hit.value;
      if (hit) entries.delete(key);
      const value = reader.read(key);
      const entry = { expires: time + options.ttlMs, value };
      while (entries.size >= maxEntries) entries.delete(entries.keys().next().value);
      entries.set(key, entry);
      value.catch(() => {
        if (entries.get(key) === entry) entries.delete(key);
      });
      return value;
    }
  };
}

// src/server/replies.ts
var COMPRESS_ABOVE = 1024;
var baseHeaders = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };
async function prepareJson(value) {
  const text2 = JSON.stringify(value);
  if (text2.length < COMPRESS_ABOVE) return { text: text2 };
  return { text: text2, gzip: await gzip(new TextEncoder().encode(text2)) };
}
async function gzip(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
function acceptsGzip(request) {
  const header = request.headers.get("accept-encoding");
  if (!header) return false;
  return header.split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    const q = params.find((p) => p.trim().startsWith("q="));
    return (coding === "gzip" || coding === "x-gzip") && (!q || Number(q.trim().slice(2)) > 0);
  });
}
function preparedResponse(request, prepared, status = 200) {
  if (prepared.gzip && acceptsGzip(request)) {
    const init = {
      status,
      headers: { ...baseHeaders, "content-encoding": "gzip", vary: "accept-encoding" },
      encodeBody: "manual"
    };
    return new Response(prepared.gzip, init);
  }
  return new Response(prepared.text, { status, headers: { ...baseHeaders, vary: "accept-encoding" } });
}
function jsonResponse(value, status = 200, extraHeaders = {}) {
  return new Response(JSON.stringify(value), { status, headers: { ...baseHeaders, ...extraHeaders } });
}

// src/server/stats.ts
var ACTION = /^[A-Za-z0-9_:-]{1,64}$/;
var MAX_EVENTS = 1e3;
var MAX_ACTIONS = 256;
var StatsBook = class {
  byAction = /* @__PURE__ */ new Map();
  rejectedCount = 0;
  add(action) {
    const name = this.byAction.has(action) || this.byAction.size < MAX_ACTIONS ? action : "other";
    this.byAction.set(name, (this.byAction.get(name) ?? 0) + 1);
  }
  reject(count = 1) {
    this.rejectedCount += count;
  }
  counts() {
    return Object.fromEntries(this.byAction);
  }
  rejected() {
    return this.rejectedCount;
  }
};
function pick(source, field, max) {
  const value = source[field];
  return typeof value === "string" && value.length <= max ? value : void 0;
}
function sortStats(body) {
  const list = Array.isArray(body) ? body : body && typeof body === "object" ? [body] : void 0;
  if (!list) return void 0;
  const events = [];
  let rejected = Math.max(0, list.length - MAX_EVENTS);
  for (const item of list.slice(0, MAX_EVENTS)) {
    const source = item && typeof item === "object" && !Array.isArray(item) ? item : void 0;
    const action = source && pick(source, "action", 64);
    const appId = source && pick(source, "app_id", 255);
    if (!source || !action || !ACTION.test(action) || !appId || !APP_ID.test(appId)) {
      rejected++;
      continue;
    }
    const timestamp = typeof source.timestamp === "number" && Number.isFinite(source.timestamp) ? source.timestamp : void 0;
    events.push({
      app_id: appId,
      action,
      device_id: pick(source, "device_id", 36),
      version_name: pick(source, "version_name", 255),
      old_version_name: pick(source, "old_version_name", 255),
      platform: pick(source, "platform", 16),
      timestamp
    });
  }
  return { events, rejected };
}
async function forwardStats(url, events, doFetch, timeoutMs = 5e3) {
  try {
    const response = await doFetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ events }),
      signal: AbortSignal.timeout(timeoutMs)
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

// src/server/handler.ts
var KIB = 1024;
function createResponder(options) {
  const ttl = options.cacheTtlMs ?? 1e4;
  const store = new StateStore(ttl > 0 ? cachedStateReader(options.reader, { ttlMs: ttl }) : options.reader);
  const updateLimit = options.updateBodyLimit ?? 64 * KIB;
  const statsLimit = options.statsBodyLimit ?? 1024 * KIB;
  const log = options.log ?? (() => void 0);
  const doFetch = options.fetch ?? fetch;
  const book = new StatsBook();
  const prepared = /* @__PURE__ */ new WeakMap();
  async function updates(request) {
    const device = parseDeviceInfo(await readJsonBody(request, updateLimit));
    const app = await store.app(device.app_id);
    if (!app) return refusal(unknownApp(device.app_id));
    const channelName = resolveChannel(device, app);
    if ("error" in channelName) return refusal(channelName);
    const channel = await store.channel(app.appId, channelName.name);
    if (!channel) {
      return refusal({
        kind: "failed",
        error: "no_channel",
        message: `channel '${channelName.name}' of ${app.appId} has no record yet: publish to it first`
      });
    }
    const decision = await decide(device, channel);
    if (decision.type === "refuse") return refusal(decision);
    return preparedResponse(request, await updateReply(decision.pointer, pluginSupportsManifest(device.plugin_version)));
  }
  function updateReply(pointer, withManifest) {
    let byManifest = prepared.get(pointer);
    if (!byManifest) prepared.set(pointer, byManifest = /* @__PURE__ */ new Map());
    let reply = byManifest.get(withManifest);
    if (!reply) {
      reply = buildUpdateReply(pointer, withManifest);
      reply.catch(() => byManifest?.delete(withManifest));
      byManifest.set(withManifest, reply);
    }
    return reply;
  }
  async function buildUpdateReply(pointer, withManifest) {
    const body = {
      version: pointer.version,
      url: pointer.url,
      session_key: pointer.sessionKey,
      checksum: pointer.checksum
    };
    if (pointer.signature) body.signature = pointer.signature;
    const key = withManifest ? manifestKeyOf(pointer) : void 0;
    if (key) {
      const manifest = await store.manifest(key);
      if (manifest) {
        body.manifest = manifest;
        if (pointer.manifestSignature) body.manifest_signature = pointer.manifestSignature;
      } else {
        log(`responder: manifest ${key} of release ${pointer.version} is missing; serving the zip only`);
      }
    }
    return prepareJson(body);
  }
  async function stats(request, context) {
    const sorted = sortStats(await readJsonBody(request, statsLimit));
    if (!sorted)
      throw new RequestError(400, "invalid_request", "send one stats event (a JSON object) or a JSON array of them");
    for (const event of sorted.events) book.add(event.action);
    book.reject(sorted.rejected);
    if (options.statsWebhookUrl && sorted.events.length > 0) {
      const url = options.statsWebhookUrl;
      const forwarding = forwardStats(url, sorted.events, doFetch).then((ok) => {
        if (!ok) log(`responder: stats webhook did not accept ${sorted.events.length} events`);
      });
      if (context?.waitUntil) context.waitUntil(forwarding);
      else await forwarding;
    }
    return jsonResponse({ status: "ok", accepted: sorted.events.length, rejected: sorted.rejected });
  }
  async function channelSelf(request) {
    const method = request.method;
    const fromQuery = method === "GET" || method === "DELETE" && !request.headers.get("content-type");
    const device = fromQuery ? parseDeviceInfo(Object.fromEntries(new URL(request.url).searchParams), true) : parseDeviceInfo(await readJsonBody(request, updateLimit));
    const app = await store.app(device.app_id);
    if (!app) return channelError(unknownApp(device.app_id));
    switch (method) {
      case "POST":
        return setChannel(device, app);
      case "PUT":
        return getChannel(device, app);
      case "DELETE":
        return jsonResponse({ status: "ok", message: "channel override removed" });
      default:
        return jsonResponse(
          app.channels.map((name, index) => ({
            id: index + 1,
            name,
            public: name === app.defaultChannel,
            allow_self_set: true
          }))
        );
    }
  }
  function setChannel(device, app) {
    if (!device.channel)
      return channelError({
        kind: "failed",
        error: "missing_channel",
        message: "send the channel to switch to as 'channel'"
      });
    if (!app.channels.includes(device.channel)) {
      return channelError({
        kind: "failed",
        error: "channel_not_found",
        message: `channel '${device.channel}' does not exist for ${app.appId}`
      });
    }
    return jsonResponse({ status: "ok", allowSet: true, message: `device will use channel '${device.channel}'` });
  }
  function getChannel(device, app) {
    const own = device.defaultChannel && app.channels.includes(device.defaultChannel) ? device.defaultChannel : void 0;
    const channel = own ?? app.defaultChannel;
    return jsonResponse({ channel, status: own && own !== app.defaultChannel ? "override" : "default", allowSet: true });
  }
  async function route(request, context) {
    const path = new URL(request.url).pathname.replace(/\/+$/, "");
    const name = path.slice(path.lastIndexOf("/") + 1);
    const allow = (methods) => {
      if (!methods.includes(request.method)) {
        throw Object.assign(
          new RequestError(
            405,
            "method_not_allowed",
            `${request.method} is not allowed on /${name}; use ${methods.join(", ")}`
          ),
          { allow: methods }
        );
      }
    };
    switch (name) {
      case "updates":
        allow(["POST"]);
        return updates(request);
      case "stats":
        allow(["POST"]);
        return stats(request, context);
      case "channel_self":
        allow(["POST", "PUT", "DELETE", "GET"]);
        return channelSelf(request);
      case "health":
        allow(["GET", "HEAD"]);
        return jsonResponse({ status: "ok" });
      default:
        throw new RequestError(
          404,
          "not_found",
          `no endpoint at ${path || "/"}; the responder answers POST /updates, POST /stats and /channel_self`
        );
    }
  }
  return {
    stats: book,
    async fetch(request, context) {
      const isUpdate = new URL(request.url).pathname.replace(/\/+$/, "").endsWith("/updates");
      try {
        return await route(request, context);
      } catch (error) {
        if (error instanceof RequestError) {
          const headers = {};
          const allowed = error.allow;
          if (allowed) headers.allow = allowed.join(", ");
          const body = { error: error.code, message: error.message };
          if (isUpdate) body.kind = "failed";
          return jsonResponse(body, error.status, headers);
        }
        if (error instanceof StateReadError || error instanceof StateInvalidError) {
          log(`responder: ${error.message}`);
          const code = error instanceof StateReadError ? "state_unavailable" : "state_invalid";
          const body = {
            error: code,
            message: "the update state cannot be read right now; try again later"
          };
          if (isUpdate) body.kind = "failed";
          return jsonResponse(body, 502);
        }
        log(`responder: unexpected error: ${error?.stack ?? String(error)}`);
        return jsonResponse(
          { error: "internal_error", message: "unexpected error", ...isUpdate ? { kind: "failed" } : {} },
          500
        );
      }
    }
  };
}
function unknownApp(appId) {
  return {
    kind: "failed",
    error: "app_not_found",
    message: `no live updates are published for ${appId} here (no live-update/${appId}/app.json); check appId in capacitor.config`
  };
}
function refusal(refusal2) {
  return jsonResponse({ error: refusal2.error, message: refusal2.message, kind: refusal2.kind });
}
function channelError(refusal2) {
  return jsonResponse({ error: refusal2.error, message: refusal2.message });
}

// src/server/env.ts
var ResponderConfigError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "ResponderConfigError";
  }
};
function cacheTtlMs(value) {
  if (value === void 0 || value === "") return 1e4;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 3600) {
    throw new ResponderConfigError(
      `CACHE_TTL_SECONDS must be a number of seconds from 0 to 3600, got '${String(value)}'`
    );
  }
  return Math.round(seconds * 1e3);
}

// src/cli/serve-command.ts
var SERVE_USAGE = `live-update serve --state-url URL [--port 8787] [--host 127.0.0.1] [--cache-ttl 10] [--stats-webhook URL]
      Answer the plugin's updateUrl (POST /updates), statsUrl (POST /stats) and channelUrl (/channel_self)
      from the records the action keeps in your bucket. Flags fall back to STATE_URL, PORT, HOST,
      CACHE_TTL_SECONDS and STATS_WEBHOOK_URL. Stops on SIGINT/SIGTERM.`;
async function serveCommand(argv, io, stop) {
  const { values } = parseArgs({
    args: argv,
    options: {
      "state-url": { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      "cache-ttl": { type: "string" },
      "stats-webhook": { type: "string" },
      help: { type: "boolean", short: "h", default: false }
    },
    strict: true
  });
  if (values.help) {
    io.stdout.write(
      `Usage: ${SERVE_USAGE}

Examples:
  live-update serve --state-url https://updates.example.com --port 8787
  STATE_URL=https://updates.example.com PORT=8080 live-update serve
`
    );
    return ExitCode.ok;
  }
  const stateUrl = values["state-url"] ?? io.env.STATE_URL;
  if (!stateUrl)
    throw new UsageError(
      "serve needs --state-url (or STATE_URL): the public base URL of the bucket the action publishes to."
    );
  const portText = values.port ?? (io.env.PORT || "8787");
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535)
    throw new UsageError(`--port must be a TCP port number (0-65535), got '${portText}'.`);
  const webhook = values["stats-webhook"] ?? (io.env.STATS_WEBHOOK_URL || void 0);
  if (webhook && !/^https?:\/\//.test(webhook)) throw new UsageError("--stats-webhook must be an http(s) URL.");
  let ttl;
  let reader;
  try {
    ttl = cacheTtlMs(values["cache-ttl"] ?? (io.env.CACHE_TTL_SECONDS || void 0));
    reader = httpStateReader(stateUrl);
  } catch (error) {
    throw new UsageError(
      error instanceof ResponderConfigError ? error.message.replace("CACHE_TTL_SECONDS", "--cache-ttl") : `--state-url: ${error.message}`
    );
  }
  const log = (line) => void io.stderr.write(`${line}
`);
  const responder = createResponder({ reader, cacheTtlMs: ttl, statsWebhookUrl: webhook, log });
  const running = await startNodeServer(responder, { port, host: values.host ?? (io.env.HOST || "127.0.0.1"), log });
  io.stdout.write(
    `live-update responder listening on ${running.url} (state: ${safeUrl(stateUrl)}, cache ${ttl / 1e3} s)
`
  );
  let lastLine = "";
  const report = () => {
    const line = statsLine(responder.stats.counts(), responder.stats.rejected());
    if (line !== lastLine) io.stdout.write(`${line}
`);
    lastLine = line;
  };
  const timer = setInterval(report, 6e4);
  timer.unref();
  await new Promise((resolve) => {
    const done = () => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      resolve();
    };
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
    stop?.then(done, done);
  });
  clearInterval(timer);
  await running.close();
  report();
  io.stdout.write("live-update responder stopped\n");
  return ExitCode.ok;
}
function statsLine(counts, rejected) {
  const parts = Object.entries(counts).sort(([a], [b]) => a < b ? -1 : 1).map(([action, count]) => `${action}=${count}`);
  return `stats since start: ${parts.length ? parts.join(" ") : "none"}${rejected ? `, rejected=${rejected}` : ""}`;
}
export {
  SERVE_USAGE,
  serveCommand,
  statsLine
};
