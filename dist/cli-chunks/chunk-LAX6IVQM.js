#!/usr/bin/env node
import { createRequire as __liveUpdateCreateRequire } from 'node:module';
const require = __liveUpdateCreateRequire(import.meta.url);
import {
  __name
} from "./chunk-PKSXMDLL.js";

// src/core/errors.ts
var ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  badInput: 3,
  verifyFailed: 4,
  storage: 5,
  register: 6
};
var LiveUpdateError = class extends Error {
  static {
    __name(this, "LiveUpdateError");
  }
  code;
  stage;
  input;
  step;
  constructor(code, message, options) {
    super(message, options.cause === void 0 ? void 0 : { cause: options.cause });
    this.name = "LiveUpdateError";
    this.code = code;
    this.stage = options.stage;
    this.input = options.input;
    this.step = options.step;
  }
  get exitCode() {
    switch (this.stage) {
      case "input":
      case "keys":
      case "zip":
        return ExitCode.badInput;
      case "verify":
        return ExitCode.verifyFailed;
      case "upload":
      case "lookup":
        return this.code.startsWith("storage") ? ExitCode.storage : ExitCode.register;
      case "register":
        return ExitCode.register;
      default:
        return ExitCode.failure;
    }
  }
};
function inputError(input, code, message) {
  return new LiveUpdateError(code, message, { stage: "input", input });
}
__name(inputError, "inputError");
function describeError(error) {
  if (error instanceof Error) return error.message;
  return String(error);
}
__name(describeError, "describeError");
function redact(text, secrets) {
  let out = text;
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join("***");
  return out;
}
__name(redact, "redact");

// src/core/config.ts
import { readFile as readFile2 } from "node:fs/promises";
import path2 from "node:path";

// src/core/capacitor-config.ts
import { access, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

// src/core/keys.ts
import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, privateEncrypt, publicDecrypt } from "node:crypto";
var REQUIRED_BITS = 2048;
function named(input) {
  return /\s/.test(input) ? input : `'${input}'`;
}
__name(named, "named");
function keyError(code, input, message, cause) {
  return new LiveUpdateError(code, message, { stage: "keys", input, cause });
}
__name(keyError, "keyError");
function normalizePem(text) {
  return text.replace(/\\r/g, "").replace(/\\n/g, "\n").replace(/\r\n?/g, "\n").trim();
}
__name(normalizePem, "normalizePem");
function firstPemLabel(pem) {
  return /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1];
}
__name(firstPemLabel, "firstPemLabel");
var PRIVATE_LABELS = /* @__PURE__ */ new Set(["RSA PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "DSA PRIVATE KEY"]);
var PUBLIC_LABELS = /* @__PURE__ */ new Set(["RSA PUBLIC KEY", "PUBLIC KEY"]);
function keyIdOf(publicPem) {
  return normalizePem(publicPem).replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, "").replace(/\s+/g, "").slice(0, 20);
}
__name(keyIdOf, "keyIdOf");
function pkcs1PublicPem(key) {
  const publicKey = key.type === "public" ? key : createPublicKey(key);
  return publicKey.export({ type: "pkcs1", format: "pem" }).toString();
}
__name(pkcs1PublicPem, "pkcs1PublicPem");
function loadPrivateKey(pemText, input = "private-key") {
  const pem = normalizePem(pemText ?? "");
  if (pem === "") {
    throw keyError("private_key_empty", input, `${named(input)} is empty. Set it to the full PEM text of your private key file (.capgo_key_v2), usually from a CI secret.`);
  }
  const label = firstPemLabel(pem);
  if (label !== void 0 && PUBLIC_LABELS.has(label)) {
    throw keyError("private_key_is_public", input, `${named(input)} holds a public key (${label}). It needs the PRIVATE key (.capgo_key_v2, BEGIN RSA PRIVATE KEY); the public key (.capgo_key_v2.pub) goes in the app's capacitor.config.`);
  }
  if (label === "ENCRYPTED PRIVATE KEY" || /Proc-Type:\s*4,ENCRYPTED/i.test(pem)) {
    throw keyError("private_key_encrypted", input, `${named(input)} is passphrase-protected, which CI cannot unlock. Store an unencrypted copy as the secret, e.g. 'openssl rsa -in key.pem -traditional -out .capgo_key_v2' (it asks for the passphrase once).`);
  }
  if (label === "OPENSSH PRIVATE KEY") {
    throw keyError("private_key_openssh", input, `${named(input)} is an OpenSSH-format key, not a PEM RSA key. Create a signing key with 'live-update key create' (or 'npx @capgo/cli key create').`);
  }
  if (label === void 0) {
    throw keyError("private_key_invalid", input, `${named(input)} is not PEM text: expected a block starting with '-----BEGIN RSA PRIVATE KEY-----' (the whole .capgo_key_v2 file, header lines included).`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey({ key: pem, format: "pem" });
  } catch (error) {
    throw keyError("private_key_invalid", input, `${named(input)} could not be parsed as a PEM private key (${label} block). Check that the secret holds the complete .capgo_key_v2 file, unmodified.`, error);
  }
  assertRsa2048(privateKey, input, "private_key");
  assertSignsConsistently(privateKey, input);
  const publicKeyPem = pkcs1PublicPem(privateKey);
  return { privateKey, publicKeyPem, keyId: keyIdOf(publicKeyPem) };
}
__name(loadPrivateKey, "loadPrivateKey");
function assertSignsConsistently(privateKey, input) {
  const probe = Buffer.alloc(32, 90);
  let recovered;
  try {
    const signed = privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, probe);
    recovered = publicDecrypt({ key: createPublicKey(privateKey), padding: constants.RSA_PKCS1_PADDING }, signed);
  } catch {
    recovered = void 0;
  }
  if (!recovered?.equals(probe)) {
    throw keyError("private_key_invalid", input, `${named(input)} is damaged: it parses, but a test signature does not verify with its own public key. Copy the complete .capgo_key_v2 file into the secret again, unmodified.`);
  }
}
__name(assertSignsConsistently, "assertSignsConsistently");
function assertRsa2048(key, input, codePrefix) {
  if (key.asymmetricKeyType !== "rsa") {
    throw keyError(`${codePrefix}_not_rsa`, input, `${named(input)} is a ${key.asymmetricKeyType ?? "non-RSA"} key. Capacitor live updates need an RSA-2048 key: create one with 'live-update key create'.`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== REQUIRED_BITS) {
    throw keyError(`${codePrefix}_size`, input, `${named(input)} is an RSA-${bits} key; devices only accept RSA-${REQUIRED_BITS} (256-byte signatures). Create a new key with 'live-update key create'.`);
  }
}
__name(assertRsa2048, "assertRsa2048");
function loadPublicKey(pemText, input = "public-key") {
  const pem = normalizePem(pemText ?? "");
  if (pem === "") {
    throw keyError("public_key_empty", input, `${named(input)} is empty. Set it to the full PEM text of .capgo_key_v2.pub (BEGIN RSA PUBLIC KEY).`);
  }
  const label = firstPemLabel(pem);
  if (label !== void 0 && PRIVATE_LABELS.has(label)) {
    throw keyError("public_key_is_private", input, `${named(input)} holds a PRIVATE key (${label}). Never put the private key in the app or a public input; use the public key (.capgo_key_v2.pub, BEGIN RSA PUBLIC KEY) here, and rotate the private key if it was committed.`);
  }
  if (label === "PUBLIC KEY") {
    throw keyError("public_key_spki", input, `${named(input)} is an SPKI public key (BEGIN PUBLIC KEY), which the Capacitor updater plugin does not accept. Use the PKCS#1 form (BEGIN RSA PUBLIC KEY), as written by 'live-update key create'; convert with 'openssl rsa -pubin -in key.pub -RSAPublicKey_out'.`);
  }
  if (label !== "RSA PUBLIC KEY") {
    throw keyError("public_key_invalid", input, `${named(input)} is not a PKCS#1 public key PEM: expected a block starting with '-----BEGIN RSA PUBLIC KEY-----' (the whole .capgo_key_v2.pub file).`);
  }
  let key;
  try {
    key = createPublicKey({ key: pem, format: "pem" });
  } catch (error) {
    throw keyError("public_key_invalid", input, `${named(input)} could not be parsed as an RSA public key. Check that it holds the complete, unmodified .capgo_key_v2.pub file.`, error);
  }
  assertRsa2048(key, input, "public_key");
  const canonical = pkcs1PublicPem(key);
  return { key, pem: canonical, keyId: keyIdOf(canonical) };
}
__name(loadPublicKey, "loadPublicKey");
function assertPublicKeyMatches(signing, publicPem, source) {
  const app = loadPublicKey(publicPem, source);
  const ours = createPublicKey(signing.privateKey).export({ format: "jwk" });
  const theirs = app.key.export({ format: "jwk" });
  if (ours.n !== theirs.n || ours.e !== theirs.e) {
    throw new LiveUpdateError(
      "public_key_mismatch",
      `The app's public key from ${source} (key_id ${app.keyId}) is not the pair of the private key (key_id ${signing.keyId}). Devices would reject every bundle signed with it. Use the private key that belongs to the app's public key, or update the app's public key and ship a new native build.`,
      { stage: "keys", input: "public-key" }
    );
  }
}
__name(assertPublicKeyMatches, "assertPublicKeyMatches");
function createKeyPair() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: REQUIRED_BITS,
    publicExponent: 65537,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "pkcs1", format: "pem" }
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}
__name(createKeyPair, "createKeyPair");

// src/core/capacitor-config.ts
var CONFIG_FILES = ["capacitor.config.json", "capacitor.config.ts", "capacitor.config.js", "capacitor.config.mjs", "capacitor.config.cjs"];
function configError(code, message) {
  return new LiveUpdateError(code, message, { stage: "input", input: "working-directory" });
}
__name(configError, "configError");
async function exists(file) {
  return access(file).then(
    () => true,
    () => false
  );
}
__name(exists, "exists");
async function readJsonConfig(file) {
  const text = await readFile(file, "utf8");
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw configError("capacitor_config_invalid", `${file} is not valid JSON (${error.message}). Fix the file, or set the inputs it would provide explicitly.`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw configError("capacitor_config_invalid", `${file} must hold a JSON object.`);
  }
  return parsed;
}
__name(readJsonConfig, "readJsonConfig");
function stringAt(value, ...keys) {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== "object") return void 0;
    current = current[key];
  }
  return typeof current === "string" ? current : void 0;
}
__name(stringAt, "stringAt");
function unescapeJs(body) {
  return body.replace(/\\(\r?\n|u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/gs, (_match, escape) => {
    if (escape === "\n" || escape === "\r\n") return "";
    if (escape.startsWith("u{")) return String.fromCodePoint(parseInt(escape.slice(2, -1), 16));
    if (escape.length > 1 && (escape[0] === "u" || escape[0] === "x")) return String.fromCharCode(parseInt(escape.slice(1), 16));
    const simple = { n: "\n", r: "\r", t: "	", "0": "\0", b: "\b", f: "\f", v: "\v" };
    return simple[escape] ?? escape;
  });
}
__name(unescapeJs, "unescapeJs");
function extractStringProperty(source, key) {
  const pattern = new RegExp(`(?:^|[\\s{,])['"]?${key}['"]?\\s*:\\s*(['"\`])((?:\\\\[\\s\\S]|(?!\\1)[^\\\\])*)\\1`, "m");
  const match = pattern.exec(source);
  if (!match) return void 0;
  const [, quote, body] = match;
  if (quote === "`" && body.includes("${")) return void 0;
  return unescapeJs(quote === "`" ? body.replace(/\r\n/g, "\n") : body);
}
__name(extractStringProperty, "extractStringProperty");
async function readCapacitorConfig(projectDir) {
  for (const name of CONFIG_FILES) {
    const file = path.resolve(projectDir, name);
    if (!await exists(file)) continue;
    if (name.endsWith(".json")) {
      const config = await readJsonConfig(file);
      return {
        file,
        appId: stringAt(config, "appId"),
        webDir: stringAt(config, "webDir"),
        publicKey: stringAt(config, "plugins", "CapacitorUpdater", "publicKey")
      };
    }
    const source = await readFile(file, "utf8");
    return {
      file,
      appId: extractStringProperty(source, "appId"),
      webDir: extractStringProperty(source, "webDir"),
      publicKey: extractStringProperty(source, "publicKey")
    };
  }
  return {};
}
__name(readCapacitorConfig, "readCapacitorConfig");
async function writePublicKeyToConfig(file, publicPem) {
  loadPublicKey(publicPem, "public key");
  if (!file.endsWith(".json")) {
    throw new LiveUpdateError(
      "capacitor_config_not_json",
      `${file} is code, which is not rewritten automatically. Add this to its config object yourself (the public key is not secret), then run 'npx cap sync':
  plugins: { CapacitorUpdater: { publicKey: ${JSON.stringify(publicPem)} } }`,
      { stage: "input", input: "config" }
    );
  }
  const config = await readWritableJsonConfig(file);
  const plugins = isObject(config.plugins) ? config.plugins : {};
  const updater = isObject(plugins.CapacitorUpdater) ? plugins.CapacitorUpdater : {};
  const updated = { ...config, plugins: { ...plugins, CapacitorUpdater: { ...updater, publicKey: publicPem } } };
  await writeFile(file, `${JSON.stringify(updated, null, 2)}
`);
}
__name(writePublicKeyToConfig, "writePublicKeyToConfig");
async function checkConfigWritable(file) {
  if (file.endsWith(".json")) await readWritableJsonConfig(file);
}
__name(checkConfigWritable, "checkConfigWritable");
async function readWritableJsonConfig(file) {
  if (!await exists(file)) throw new LiveUpdateError("capacitor_config_missing", `${file} does not exist.`, { stage: "input", input: "config" });
  return readJsonConfig(file);
}
__name(readWritableJsonConfig, "readWritableJsonConfig");
function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
__name(isObject, "isObject");

// src/core/url.ts
function safeUrl(value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    url = void 0;
  }
  if (url && url.origin !== "null") return `${url.origin}${url.pathname}`;
  return excerpt(value.replace(/[?#].*$/s, "").replace(/^([^/@]*\/\/)?[^/@]*@/, "$1"), 80);
}
__name(safeUrl, "safeUrl");
function excerpt(text, max = 200) {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}\u2026` : oneLine;
}
__name(excerpt, "excerpt");
function parseHttpUrl(value, input, code, example) {
  let url;
  try {
    url = new URL(value);
  } catch {
    url = void 0;
  }
  if (!url || url.protocol !== "https:" && url.protocol !== "http:" || !url.host) {
    throw inputError(input, code, `'${input}' must be an http(s) URL such as ${example}; got '${safeUrl(value)}'.`);
  }
  if (url.username || url.password) {
    throw inputError(input, code, `'${input}' must not contain credentials (user:password@): remove them from ${safeUrl(value)}, and give credentials through their own secret inputs.`);
  }
  return url;
}
__name(parseHttpUrl, "parseHttpUrl");

// src/core/version.ts
var SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
function isSemver(version) {
  return SEMVER.test(version);
}
__name(isSemver, "isSemver");
function assertSemver(version, input = "version") {
  if (!isSemver(version)) {
    throw inputError(input, "invalid_version", `'${input}' must be a semantic version such as 1.2.3 or 1.2.3-beta.1, got '${version}'.`);
  }
  if (version === "0.0.0") {
    throw inputError(input, "invalid_version", `'${input}' must be greater than 0.0.0 (Capgo refuses 0.0.0).`);
  }
  return version;
}
__name(assertSemver, "assertSemver");
function versionFromTagRef(ref) {
  const match = /^refs\/tags\/v?(.+)$/.exec(ref ?? "");
  return match && isSemver(match[1]) ? match[1] : void 0;
}
__name(versionFromTagRef, "versionFromTagRef");

// src/core/config.ts
var INPUT_DEFAULTS = {
  "working-directory": ".",
  channel: "production",
  storage: "s3",
  "object-key": "{appId}/{version}/{hash}.zip",
  "cache-control": "public, max-age=31536000, immutable",
  server: "capgo",
  "capgo-api-url": "https://api.capgo.app",
  verify: "true",
  "dry-run": "false",
  summary: "true",
  "pr-comment": "auto",
  "require-notify-app-ready": "true",
  "compression-level": "6",
  "s3-force-path-style": "false",
  "s3-region": "us-east-1",
  "s3-checksum": "auto",
  "s3-part-size-mib": "8"
};
var APP_ID = /^[a-z0-9]+(\.[\w-]+)+$/i;
var CHANNEL = /^[\w.-]{1,64}$/;
async function resolveConfig(readRaw, context) {
  const read = /* @__PURE__ */ __name((name) => {
    const value = readRaw(name)?.trim();
    return value ? value : INPUT_DEFAULTS[name];
  }, "read");
  const secrets = [];
  const secret = /* @__PURE__ */ __name((name) => {
    const value = readRaw(name)?.trim();
    if (value) secrets.push(...secretParts(value));
    return value || void 0;
  }, "secret");
  const bool = /* @__PURE__ */ __name((name) => parseBoolean(read(name) ?? "false", name), "bool");
  const oneOf = /* @__PURE__ */ __name((name, allowed) => {
    const value = read(name);
    if (!allowed.includes(value)) throw inputError(name, "invalid_choice", `'${name}' must be one of ${allowed.join(", ")}; got '${value}'.`);
    return value;
  }, "oneOf");
  const workingDirectory = path2.resolve(context.cwd, read("working-directory"));
  const capacitor = await readCapacitorConfig(workingDirectory);
  const appId = read("app-id") ?? capacitor.appId;
  if (!appId) throw inputError("app-id", "missing_app_id", `Set 'app-id' (e.g. com.example.app): no appId was found in a capacitor.config in ${workingDirectory}.`);
  if (!APP_ID.test(appId)) throw inputError("app-id", "invalid_app_id", `'app-id' must be a reverse-domain id such as com.example.app; got '${appId}'.`);
  const webDirInput = read("path") ?? capacitor.webDir;
  if (!webDirInput) throw inputError("path", "missing_path", `Set 'path' to the web output folder (e.g. dist): no webDir was found in a capacitor.config in ${workingDirectory}.`);
  const version = assertSemver(read("version") ?? versionFromTagRef(context.env.GITHUB_REF) ?? await packageVersion(workingDirectory), "version");
  const channel = read("channel");
  if (!CHANNEL.test(channel)) throw inputError("channel", "invalid_channel", `'channel' may hold letters, digits, '.', '_' and '-' (at most 64); got '${channel}'.`);
  const privateKeyPem = secret("private-key") ?? await readKeyFile(read("private-key-file"), workingDirectory, secrets);
  if (!privateKeyPem) throw inputError("private-key", "missing_private_key", "Set 'private-key' to the PEM text of .capgo_key_v2 from a secret, e.g. private-key: ${{ secrets.CAPGO_PRIVATE_KEY }}.");
  const explicitPublicKey = read("public-key");
  const publicKeyPem = explicitPublicKey ?? capacitor.publicKey;
  const publicKeySource = explicitPublicKey ? "the 'public-key' input" : `${capacitor.file ? path2.basename(capacitor.file) : "capacitor.config"} plugins.CapacitorUpdater.publicKey`;
  const dryRun = bool("dry-run");
  const storage = resolveStorage(read, secret, bool, oneOf, workingDirectory, dryRun);
  const registrar = resolveRegistrar(read, secret, oneOf, dryRun);
  const runUrl = context.env.GITHUB_SERVER_URL && context.env.GITHUB_REPOSITORY && context.env.GITHUB_RUN_ID ? `${context.env.GITHUB_SERVER_URL}/${context.env.GITHUB_REPOSITORY}/actions/runs/${context.env.GITHUB_RUN_ID}` : void 0;
  return {
    workingDirectory,
    buildCommand: read("build-command"),
    publish: {
      appId,
      version,
      channel,
      webDir: path2.resolve(workingDirectory, webDirInput),
      privateKeyPem,
      publicKeyPem,
      publicKeySource,
      requireNotifyAppReady: bool("require-notify-app-ready"),
      compressionLevel: parseLevel(read("compression-level")),
      objectKeyTemplate: read("object-key"),
      verifyUpload: bool("verify"),
      dryRun,
      tempDir: context.env.RUNNER_TEMP || void 0,
      link: runUrl,
      comment: context.env.GITHUB_SHA ? `commit ${context.env.GITHUB_SHA.slice(0, 12)}` : void 0,
      git: { sha: context.env.GITHUB_SHA, ref: context.env.GITHUB_REF, runUrl, repository: context.env.GITHUB_REPOSITORY }
    },
    storage,
    registrar,
    report: { summary: bool("summary"), prComment: oneOf("pr-comment", ["auto", "always", "never"]), githubToken: secret("github-token") },
    secrets: [...new Set(secrets)]
  };
}
__name(resolveConfig, "resolveConfig");
function resolveStorage(read, secret, bool, oneOf, workingDirectory, dryRun) {
  const kind = oneOf("storage", ["s3", "dir"]);
  const publicUrlTemplate = read("public-url");
  if (publicUrlTemplate && !publicUrlTemplate.includes("{key}")) {
    throw inputError("public-url", "invalid_public_url", `'public-url' must contain {key}, e.g. https://updates.example.com/{key}; got '${publicUrlTemplate}'.`);
  }
  if (kind === "dir") {
    const dir = read("storage-dir");
    if (!dir) throw inputError("storage-dir", "missing_storage_dir", "With 'storage: dir', set 'storage-dir' to the folder that receives bundles.");
    return { kind: "dir", dir: path2.resolve(workingDirectory, dir), publicUrlTemplate };
  }
  const bucket = read("s3-bucket");
  if (!bucket && dryRun) return { kind: "none" };
  if (!bucket) throw inputError("s3-bucket", "missing_s3_bucket", "With 'storage: s3', set 's3-bucket' to your bucket's name.");
  const endpoint = read("s3-endpoint");
  if (endpoint) parseHttpUrl(endpoint, "s3-endpoint", "invalid_s3_endpoint", "https://<account>.r2.cloudflarestorage.com");
  const accessKeyId = secret("s3-access-key-id");
  const secretAccessKey = secret("s3-secret-access-key");
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw inputError(accessKeyId ? "s3-secret-access-key" : "s3-access-key-id", "incomplete_s3_credentials", "Set both 's3-access-key-id' and 's3-secret-access-key', or neither (to use the standard AWS credentials of the job, e.g. from aws-actions/configure-aws-credentials).");
  }
  const partSize = Number(read("s3-part-size-mib"));
  if (!Number.isInteger(partSize) || partSize < 5 || partSize > 5120) {
    throw inputError("s3-part-size-mib", "invalid_part_size", "'s3-part-size-mib' must be a whole number from 5 to 5120 (S3's multipart limits).");
  }
  return {
    kind: "s3",
    bucket,
    // us-east-1 works everywhere: R2 treats it as 'auto', and MinIO, Swift and Ceph expect it.
    region: read("s3-region") ?? "us-east-1",
    endpoint,
    forcePathStyle: bool("s3-force-path-style"),
    accessKeyId,
    secretAccessKey,
    acl: read("s3-acl"),
    cacheControl: read("cache-control"),
    publicUrlTemplate,
    partSizeMiB: partSize,
    checksumMode: oneOf("s3-checksum", ["auto", "when_required", "when_supported"])
  };
}
__name(resolveStorage, "resolveStorage");
function resolveRegistrar(read, secret, oneOf, dryRun) {
  const kind = oneOf("server", ["capgo", "webhook", "none"]);
  if (kind === "capgo") {
    const apiKey = secret("capgo-api-key");
    if (!apiKey && !dryRun) throw inputError("capgo-api-key", "missing_capgo_api_key", "With 'server: capgo', set 'capgo-api-key' from a secret (a Capgo API key with upload rights), or use 'server: none' to upload only.");
    const apiUrl = read("capgo-api-url");
    parseHttpUrl(apiUrl, "capgo-api-url", "invalid_capgo_api_url", "https://api.capgo.app");
    return { kind: "capgo", apiUrl: apiUrl.replace(/\/+$/, ""), apiKey: apiKey ?? "" };
  }
  if (kind === "webhook") {
    const url = read("webhook-url");
    if (!url) throw inputError("webhook-url", "invalid_webhook_url", "With 'server: webhook', set 'webhook-url' to your update server's endpoint (https://...).");
    parseHttpUrl(url, "webhook-url", "invalid_webhook_url", "https://updates.example.com/hooks/live-update");
    const webhookSecret = secret("webhook-secret");
    if (!webhookSecret && !dryRun) throw inputError("webhook-secret", "missing_webhook_secret", "With 'server: webhook', set 'webhook-secret' from a secret: the receiver uses it to check the X-Signature-256 header.");
    return { kind: "webhook", url, secret: webhookSecret ?? "" };
  }
  return { kind: "none" };
}
__name(resolveRegistrar, "resolveRegistrar");
function secretParts(value) {
  const lines = value.split(/\r?\n|\\r\\n|\\n/).map((line) => line.trim()).filter((line) => line.length > 8);
  return [value, ...lines];
}
__name(secretParts, "secretParts");
function parseLevel(value, input = "compression-level") {
  const level = Number(value);
  if (!Number.isInteger(level) || level < 1 || level > 9) {
    throw inputError(input, "invalid_compression_level", `'${input}' must be a whole number from 1 (fastest) to 9 (smallest); got '${value}'. 6 matches Capgo's CLI.`);
  }
  return level;
}
__name(parseLevel, "parseLevel");
function parseBoolean(value, name) {
  const normalized = value.trim().toLowerCase();
  if (["true", "yes", "1", "on"].includes(normalized)) return true;
  if (["false", "no", "0", "off"].includes(normalized)) return false;
  throw inputError(name, "invalid_boolean", `'${name}' must be true or false; got '${value}'.`);
}
__name(parseBoolean, "parseBoolean");
async function packageVersion(dir) {
  try {
    const pkg = JSON.parse(await readFile2(path2.join(dir, "package.json"), "utf8"));
    if (pkg.version) return pkg.version;
  } catch {
  }
  throw inputError("version", "missing_version", "Set 'version', push a tag like v1.2.3, or give package.json a version.");
}
__name(packageVersion, "packageVersion");
async function readKeyFile(file, cwd, secrets) {
  if (!file) return void 0;
  try {
    const text = await readFile2(path2.resolve(cwd, file), "utf8");
    secrets.push(...secretParts(text));
    return text;
  } catch {
    throw inputError("private-key-file", "file_not_readable", `Cannot read 'private-key-file' ${file}. Check the path.`);
  }
}
__name(readKeyFile, "readKeyFile");

// src/cli/io.ts
var UsageError = class extends Error {
  static {
    __name(this, "UsageError");
  }
  constructor(message) {
    super(message);
    this.name = "UsageError";
  }
};

// src/core/bundle.ts
import { createWriteStream as createWriteStream2 } from "node:fs";
import { rename, rm as rm2 } from "node:fs/promises";
import { pipeline as pipeline2 } from "node:stream/promises";
import { randomBytes as randomBytes3 } from "node:crypto";

// src/core/crypto.ts
import { constants as constants2, createCipheriv, createHash, privateEncrypt as privateEncrypt2, randomBytes } from "node:crypto";
import { Transform } from "node:stream";
var CIPHER = "aes-128-cbc";
var AES_KEY_BYTES = 16;
var IV_BYTES = 16;
function rsaPrivateEncrypt(signing, data) {
  return privateEncrypt2({ key: signing.privateKey, padding: constants2.RSA_PKCS1_PADDING }, data);
}
__name(rsaPrivateEncrypt, "rsaPrivateEncrypt");
function signSha256(signing, sha256Hex) {
  if (!/^[0-9a-f]{64}$/i.test(sha256Hex)) throw new Error("signSha256 expects a 64-character hex SHA-256");
  return rsaPrivateEncrypt(signing, Buffer.from(sha256Hex, "hex")).toString("hex");
}
__name(signSha256, "signSha256");
function makeSessionKey(signing, aesKey, iv) {
  if (aesKey.length !== AES_KEY_BYTES || iv.length !== IV_BYTES) throw new Error("AES-128-CBC needs a 16-byte key and a 16-byte IV");
  return `${iv.toString("base64")}:${rsaPrivateEncrypt(signing, aesKey).toString("base64")}`;
}
__name(makeSessionKey, "makeSessionKey");
function createBundleEncryptor(signing, random = randomBytes) {
  const aesKey = random(AES_KEY_BYTES);
  const iv = random(IV_BYTES);
  const sessionKey = makeSessionKey(signing, aesKey, iv);
  const cipher = createCipheriv(CIPHER, aesKey, iv);
  const plainHash = createHash("sha256");
  const cipherHash = createHash("sha256");
  let zipSize = 0;
  let encryptedSize = 0;
  let result;
  const emit = /* @__PURE__ */ __name((stream, ciphertext) => {
    if (ciphertext.length === 0) return;
    cipherHash.update(ciphertext);
    encryptedSize += ciphertext.length;
    stream.push(ciphertext);
  }, "emit");
  const transform = new Transform({
    transform(chunk, _encoding, callback) {
      plainHash.update(chunk);
      zipSize += chunk.length;
      emit(this, cipher.update(chunk));
      callback();
    },
    flush(callback) {
      emit(this, cipher.final());
      const sha256 = plainHash.digest("hex");
      result = {
        sha256,
        checksum: signSha256(signing, sha256),
        sessionKey,
        zipSize,
        encryptedSize,
        encryptedSha256: cipherHash.digest("hex")
      };
      callback();
    }
  });
  return {
    transform,
    result() {
      if (!result) throw new Error("bundle encryptor: result() called before the stream was flushed");
      return result;
    }
  };
}
__name(createBundleEncryptor, "createBundleEncryptor");

// src/core/zip/scan.ts
import { lstat, readdir, realpath, stat } from "node:fs/promises";
import path3 from "node:path";
var JUNK_NAMES = /* @__PURE__ */ new Set([".DS_Store", "Thumbs.db", "desktop.ini", "__MACOSX", ".git", ".svn", ".hg"]);
var MAX_ENTRIES = 65535;
function zipError(code, message) {
  return new LiveUpdateError(code, message, { stage: "zip", input: "path" });
}
__name(zipError, "zipError");
function compareNames(a, b) {
  return Buffer.compare(Buffer.from(a.name), Buffer.from(b.name));
}
__name(compareNames, "compareNames");
function isInside(root, target) {
  const relative = path3.relative(root, target);
  return relative === "" || !relative.startsWith("..") && !path3.isAbsolute(relative);
}
__name(isInside, "isInside");
async function scanWebDir(webDir) {
  const absolute = path3.resolve(webDir);
  const rootStat = await stat(absolute).catch(() => void 0);
  if (!rootStat) {
    throw zipError("zip_missing_folder", `The web output folder ${absolute} does not exist. Build the app first, or point 'path' at the folder that holds index.html.`);
  }
  if (!rootStat.isDirectory()) {
    throw zipError("zip_not_a_folder", `'path' must be a folder (the web output, e.g. dist or www), but ${absolute} is a file.`);
  }
  const root = await realpath(absolute);
  const entries = [];
  async function walk(dirReal, prefix, ancestors) {
    const children = await readdir(dirReal, { withFileTypes: true });
    for (const child of children) {
      if (JUNK_NAMES.has(child.name)) continue;
      const name = prefix + child.name;
      if (child.name.includes("\\")) {
        throw zipError("zip_backslash_name", `The file name '${name}' contains a backslash, which Android refuses in a bundle. Rename it.`);
      }
      const full = path3.join(dirReal, child.name);
      let target = full;
      let info = await lstat(full);
      if (info.isSymbolicLink()) {
        target = await realpath(full).catch(() => {
          throw zipError("zip_broken_symlink", `The symlink '${name}' in the web output points to nothing. Remove it or fix its target.`);
        });
        if (!isInside(root, target)) {
          throw zipError("zip_symlink_escape", `The symlink '${name}' points outside the web output folder (${target}); a bundle may only contain the folder's own files. Copy the file into the folder instead.`);
        }
        info = await stat(target);
      }
      if (info.isDirectory()) {
        if (ancestors.has(target)) {
          throw zipError("zip_symlink_loop", `The symlink '${name}' makes a loop inside the web output folder. Remove it.`);
        }
        entries.push({ name: `${name}/`, size: 0, isDirectory: true });
        await walk(target, `${name}/`, /* @__PURE__ */ new Set([...ancestors, target]));
      } else if (info.isFile()) {
        entries.push({ name, file: target, size: info.size, isDirectory: false });
      }
    }
  }
  __name(walk, "walk");
  await walk(root, "", /* @__PURE__ */ new Set([root]));
  const files = entries.filter((entry) => !entry.isDirectory);
  if (files.length === 0) {
    throw zipError("zip_empty_folder", `The web output folder ${absolute} holds no files. Run the web build first (see 'build-command').`);
  }
  if (!files.some((entry) => entry.name === "index.html")) {
    const nested = files.find((entry) => entry.name.endsWith("/index.html"));
    const hint = nested ? ` It was found at '${nested.name}': point 'path' at '${path3.join(absolute, path3.posix.dirname(nested.name))}'.` : " Point 'path' at the folder your web build writes (the one with index.html).";
    throw zipError("zip_no_index_html", `index.html must be at the root of the web output folder ${absolute}.${hint}`);
  }
  if (entries.length > MAX_ENTRIES) {
    throw zipError("zip_too_many_entries", `The web output holds ${entries.length} files and folders; a bundle holds at most ${MAX_ENTRIES} (ZIP64 is not used, for device compatibility).`);
  }
  entries.sort(compareNames);
  return { root, entries, fileCount: files.length, rawSize: files.reduce((sum, entry) => sum + entry.size, 0) };
}
__name(scanWebDir, "scanWebDir");

// src/core/zip/writer.ts
import { createReadStream as createReadStream2 } from "node:fs";
import os from "node:os";
import { Readable } from "node:stream";

// src/core/zip/headers.ts
var METHOD_STORED = 0;
var METHOD_DEFLATED = 8;
var DOS_TIME = 0;
var DOS_DATE = 0 << 9 | 1 << 5 | 1;
var VERSION_NEEDED = 20;
var VERSION_MADE_BY_UNIX = 3 << 8 | 20;
var FLAG_UTF8 = 2048;
var FILE_ATTRIBUTES = 33188 << 16 >>> 0;
var DIRECTORY_ATTRIBUTES = (16877 << 16 | 16) >>> 0;
function flagsFor(name) {
  return name.some((byte) => byte > 127) ? FLAG_UTF8 : 0;
}
__name(flagsFor, "flagsFor");
function localHeader(entry) {
  const header = Buffer.alloc(30);
  header.writeUInt32LE(67324752, 0);
  header.writeUInt16LE(VERSION_NEEDED, 4);
  header.writeUInt16LE(flagsFor(entry.name), 6);
  header.writeUInt16LE(entry.method, 8);
  header.writeUInt16LE(DOS_TIME, 10);
  header.writeUInt16LE(DOS_DATE, 12);
  header.writeUInt32LE(entry.crc >>> 0, 14);
  header.writeUInt32LE(entry.compressedSize, 18);
  header.writeUInt32LE(entry.size, 22);
  header.writeUInt16LE(entry.name.length, 26);
  header.writeUInt16LE(0, 28);
  return Buffer.concat([header, entry.name]);
}
__name(localHeader, "localHeader");
function centralHeader(entry) {
  const header = Buffer.alloc(46);
  header.writeUInt32LE(33639248, 0);
  header.writeUInt16LE(VERSION_MADE_BY_UNIX, 4);
  header.writeUInt16LE(VERSION_NEEDED, 6);
  header.writeUInt16LE(flagsFor(entry.name), 8);
  header.writeUInt16LE(entry.method, 10);
  header.writeUInt16LE(DOS_TIME, 12);
  header.writeUInt16LE(DOS_DATE, 14);
  header.writeUInt32LE(entry.crc >>> 0, 16);
  header.writeUInt32LE(entry.compressedSize, 20);
  header.writeUInt32LE(entry.size, 24);
  header.writeUInt16LE(entry.name.length, 28);
  header.writeUInt32LE(entry.isDirectory ? DIRECTORY_ATTRIBUTES : FILE_ATTRIBUTES, 38);
  header.writeUInt32LE(entry.offset, 42);
  return Buffer.concat([header, entry.name]);
}
__name(centralHeader, "centralHeader");
function endOfCentralDirectory(entryCount, centralSize, centralOffset) {
  const record = Buffer.alloc(22);
  record.writeUInt32LE(101010256, 0);
  record.writeUInt16LE(entryCount, 8);
  record.writeUInt16LE(entryCount, 10);
  record.writeUInt32LE(centralSize, 12);
  record.writeUInt32LE(centralOffset, 16);
  return record;
}
__name(endOfCentralDirectory, "endOfCentralDirectory");

// src/core/zip/compress.ts
import { createReadStream, createWriteStream } from "node:fs";
import { readFile as readFile3, rm, stat as stat2 } from "node:fs/promises";
import path4 from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform as Transform2 } from "node:stream";
import zlib from "node:zlib";
import { promisify } from "node:util";
import { randomBytes as randomBytes2 } from "node:crypto";
var deflateRaw = promisify(zlib.deflateRaw);
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
  "pdf",
  "wasm.gz"
]);
var SCRIPT_EXTENSIONS = /* @__PURE__ */ new Set(["js", "mjs", "cjs"]);
var NOTIFY_APP_READY = Buffer.from("notifyAppReady");
var SMALL_FILE_LIMIT = 8 * 1024 * 1024;
function extensionOf(name) {
  return path4.posix.extname(name).slice(1).toLowerCase();
}
__name(extensionOf, "extensionOf");
function shouldDeflate(name) {
  return !PRECOMPRESSED.has(extensionOf(name));
}
__name(shouldDeflate, "shouldDeflate");
function isScript(name) {
  return SCRIPT_EXTENSIONS.has(extensionOf(name));
}
__name(isScript, "isScript");
var NeedleSearch = class {
  static {
    __name(this, "NeedleSearch");
  }
  tail = Buffer.alloc(0);
  found = false;
  push(chunk) {
    if (this.found) return;
    const edge = Buffer.concat([this.tail, chunk.subarray(0, NOTIFY_APP_READY.length - 1)]);
    if (edge.includes(NOTIFY_APP_READY) || chunk.includes(NOTIFY_APP_READY)) {
      this.found = true;
      return;
    }
    this.tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - (NOTIFY_APP_READY.length - 1))));
  }
};
async function prepareEntry(entry, options) {
  if (entry.isDirectory || !entry.file) {
    return { source: entry, method: METHOD_STORED, crc: 0, size: 0, compressedSize: 0, data: Buffer.alloc(0), mentionsNotifyAppReady: false };
  }
  if (entry.size > SMALL_FILE_LIMIT) return prepareLargeFile(entry, entry.file, options);
  return options.pool ? preparePooled(entry, entry.file, options.pool, options.level) : prepareSmallFile(entry, entry.file, options);
}
__name(prepareEntry, "prepareEntry");
async function preparePooled(entry, file, pool, level) {
  const result = await pool.run(file, { size: entry.size, deflate: shouldDeflate(entry.name), scanScript: isScript(entry.name), level });
  return {
    source: entry,
    method: result.deflated ? METHOD_DEFLATED : METHOD_STORED,
    crc: result.crc,
    size: result.size,
    compressedSize: result.data.length,
    data: result.data,
    mentionsNotifyAppReady: result.mentionsNotifyAppReady
  };
}
__name(preparePooled, "preparePooled");
async function prepareSmallFile(entry, file, options) {
  const content = await readFile3(file);
  const crc = zlib.crc32(content);
  const mentionsNotifyAppReady = isScript(entry.name) && content.includes(NOTIFY_APP_READY);
  const base = { source: entry, crc, size: content.length, mentionsNotifyAppReady };
  if (content.length > 0 && shouldDeflate(entry.name)) {
    const deflated = await deflateRaw(content, { level: options.level });
    if (deflated.length < content.length) {
      return { ...base, method: METHOD_DEFLATED, compressedSize: deflated.length, data: deflated };
    }
  }
  return { ...base, method: METHOD_STORED, compressedSize: content.length, data: content };
}
__name(prepareSmallFile, "prepareSmallFile");
async function prepareLargeFile(entry, file, options) {
  let crc = 0;
  let size = 0;
  const needle = new NeedleSearch();
  const scanScript = isScript(entry.name);
  const observe = new Transform2({
    transform(chunk, _encoding, callback) {
      crc = zlib.crc32(chunk, crc);
      size += chunk.length;
      if (scanScript) needle.push(chunk);
      callback(null, chunk);
    }
  });
  const base = { source: entry, mentionsNotifyAppReady: false };
  if (!shouldDeflate(entry.name)) {
    await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), observe, async function(source) {
      for await (const _chunk of source) void _chunk;
    });
    return { ...base, method: METHOD_STORED, crc, size, compressedSize: size, data: { file, spill: false }, mentionsNotifyAppReady: needle.found };
  }
  const spill = path4.join(options.tempDir, `live-update-spill-${randomBytes2(8).toString("hex")}`);
  try {
    await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), observe, zlib.createDeflateRaw({ level: options.level }), createWriteStream(spill));
    const compressedSize = (await stat2(spill)).size;
    if (compressedSize < size) {
      return { ...base, method: METHOD_DEFLATED, crc, size, compressedSize, data: { file: spill, spill: true }, mentionsNotifyAppReady: needle.found };
    }
    await rm(spill, { force: true });
    return { ...base, method: METHOD_STORED, crc, size, compressedSize: size, data: { file, spill: false }, mentionsNotifyAppReady: needle.found };
  } catch (error) {
    await rm(spill, { force: true });
    throw error;
  }
}
__name(prepareLargeFile, "prepareLargeFile");
async function releaseEntry(entry) {
  if (!Buffer.isBuffer(entry.data) && entry.data.spill) await rm(entry.data.file, { force: true });
}
__name(releaseEntry, "releaseEntry");

// src/core/zip/deflate-pool.ts
import { Worker } from "node:worker_threads";
var WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { openSync, readSync, closeSync, fstatSync } = require('node:fs')
const zlib = require('node:zlib')
const NEEDLE = Buffer.from('notifyAppReady')
// Files are read into one reused buffer: a fresh Buffer per file would pile up as garbage
// that this thread's GC only reclaims late (external memory), inflating the process RSS.
let scratch = Buffer.allocUnsafeSlow(1 << 20)
function readWhole(file) {
  const fd = openSync(file, 'r')
  try {
    const size = fstatSync(fd).size
    if (size > scratch.length) scratch = Buffer.allocUnsafeSlow(size)
    let read = 0
    while (read < size) {
      const n = readSync(fd, scratch, read, size - read, read)
      if (n === 0) break
      read += n
    }
    return scratch.subarray(0, read)
  } finally {
    closeSync(fd)
  }
}
function prepare(task) {
  try {
    const content = readWhole(task.file)
    const crc = zlib.crc32(content)
    const mentionsNotifyAppReady = task.scanScript && content.includes(NEEDLE)
    let data = content
    let deflated = false
    if (task.deflate && content.length > 0) {
      const packed = zlib.deflateRawSync(content, { level: task.level, chunkSize: 64 * 1024 })
      if (packed.length < content.length) { data = packed; deflated = true }
    }
    const exact = data.byteOffset === 0 && data.buffer.byteLength === data.length && data !== content
    const out = exact ? new Uint8Array(data.buffer) : new Uint8Array(data)
    return { id: task.id, crc, size: content.length, deflated, mentionsNotifyAppReady, data: out }
  } catch (error) {
    return { id: task.id, error: String(error && error.message || error) }
  }
}
// Tasks come in batches: one message each way for several small files.
parentPort.on('message', (batch) => {
  const results = batch.map(prepare)
  parentPort.postMessage(results, results.filter((result) => result.data).map((result) => result.data.buffer))
})
`;
var BATCH_FILES = 16;
var BATCH_BYTES = 512 * 1024;
var DeflatePool = class {
  static {
    __name(this, "DeflatePool");
  }
  idle = [];
  queue = [];
  running = /* @__PURE__ */ new Map();
  nextId = 0;
  closed = false;
  dispatchQueued = false;
  constructor(size) {
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }
  spawn() {
    const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 2 } });
    worker.unref();
    worker.on("message", (replies) => {
      for (const reply of replies) {
        const job = this.running.get(reply.id);
        if (!job) continue;
        this.running.delete(reply.id);
        if (reply.error !== void 0) job.task.reject(new Error(reply.error));
        else {
          const data = Buffer.from(reply.data.buffer, reply.data.byteOffset, reply.data.byteLength);
          job.task.resolve({ crc: reply.crc, size: reply.size, deflated: reply.deflated, mentionsNotifyAppReady: reply.mentionsNotifyAppReady, data });
        }
      }
      this.idle.push(worker);
      this.dispatch();
    });
    worker.on("error", (error) => this.failWorker(worker, error));
    return worker;
  }
  failWorker(worker, error) {
    for (const [id, job] of this.running) {
      if (job.worker !== worker) continue;
      this.running.delete(id);
      job.task.reject(error);
    }
    if (!this.closed) this.idle.push(this.spawn());
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
  dispatch() {
    while (!this.closed && this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop();
      const share = Math.min(BATCH_FILES, Math.ceil(this.queue.length / (this.idle.length + 1)));
      const batch = [];
      let bytes = 0;
      while (this.queue.length > 0 && batch.length < share && (batch.length === 0 || bytes + this.queue[0].size <= BATCH_BYTES)) {
        const task = this.queue.shift();
        const id = this.nextId++;
        this.running.set(id, { worker, task });
        batch.push({ id, file: task.file, deflate: task.deflate, scanScript: task.scanScript, level: task.level });
        bytes += task.size;
      }
      worker.postMessage(batch);
    }
  }
  run(file, options) {
    if (this.closed) return Promise.reject(new Error("deflate pool is closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ file, ...options, resolve, reject });
      this.scheduleDispatch();
    });
  }
  async close() {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new Error("deflate pool closed"));
    const workers = [...this.idle, ...new Set([...this.running.values()].map((job) => job.worker))];
    this.idle.length = 0;
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
};

// src/core/zip/writer.ts
var MAX_OFFSET = 4294967295;
var COALESCE_BYTES = 256 * 1024;
async function* coalesce(source, size) {
  let parts = [];
  let length = 0;
  for (; ; ) {
    const next = await source.next();
    if (next.done) {
      if (length > 0) yield Buffer.concat(parts, length);
      return next.value;
    }
    if (next.value.length >= size && length === 0) {
      yield next.value;
      continue;
    }
    parts.push(next.value);
    length += next.value.length;
    if (length >= size) {
      yield Buffer.concat(parts, length);
      parts = [];
      length = 0;
    }
  }
}
__name(coalesce, "coalesce");
function createZipStream(folder, options = {}) {
  let resolveSummary;
  let rejectSummary;
  const summary = new Promise((resolve, reject) => {
    resolveSummary = resolve;
    rejectSummary = reject;
  });
  summary.catch(() => void 0);
  const generator = writeZip(folder, {
    level: options.level ?? 6,
    tempDir: options.tempDir ?? os.tmpdir(),
    lookahead: options.lookahead ?? 64,
    lookaheadBytes: options.lookaheadBytes ?? 8 * 1024 * 1024,
    workers: options.workers ?? defaultWorkers(folder)
  });
  async function* guarded() {
    try {
      const result = yield* coalesce(generator, COALESCE_BYTES);
      resolveSummary(result);
    } catch (error) {
      rejectSummary(error);
      throw error;
    }
  }
  __name(guarded, "guarded");
  return { stream: Readable.from(guarded(), { objectMode: false }), summary };
}
__name(createZipStream, "createZipStream");
function defaultWorkers(folder) {
  const cores = os.availableParallelism();
  return cores > 1 && folder.rawSize > 2 * 1024 * 1024 ? cores : 0;
}
__name(defaultWorkers, "defaultWorkers");
async function* writeZip(folder, options) {
  const pool = options.workers > 0 ? new DeflatePool(options.workers) : void 0;
  const compress = { level: options.level, tempDir: options.tempDir, pool };
  const pending = [];
  let next = 0;
  let costAhead = 0;
  const fill = /* @__PURE__ */ __name(() => {
    while (next < folder.entries.length && pending.length < options.lookahead) {
      const entry = folder.entries[next];
      const cost = Math.min(entry.size, SMALL_FILE_LIMIT);
      if (pending.length > 0 && costAhead + cost > options.lookaheadBytes) break;
      const prepared = prepareEntry(entry, compress);
      prepared.catch(() => void 0);
      pending.push({ entry, prepared, cost });
      costAhead += cost;
      next++;
    }
  }, "fill");
  const records = [];
  let offset = 0;
  let mentionsNotifyAppReady = false;
  try {
    fill();
    while (pending.length > 0) {
      const head = pending.shift();
      costAhead -= head.cost;
      const prepared = await head.prepared.catch((error) => {
        throw new LiveUpdateError("zip_read_failed", `Could not read '${head.entry.name}' from the web output: ${error.message}`, { stage: "zip", input: "path", cause: error });
      });
      fill();
      try {
        const record = {
          name: Buffer.from(prepared.source.name),
          method: prepared.method,
          crc: prepared.crc,
          compressedSize: prepared.compressedSize,
          size: prepared.size,
          isDirectory: prepared.source.isDirectory,
          offset
        };
        if (offset + 30 + record.name.length + record.compressedSize > MAX_OFFSET) {
          throw new LiveUpdateError("zip_too_large", "The bundle would be larger than 4 GiB, which needs ZIP64; devices are not tested with ZIP64. Make the web output smaller.", { stage: "zip", input: "path" });
        }
        mentionsNotifyAppReady ||= prepared.mentionsNotifyAppReady;
        const header = localHeader(record);
        yield header;
        offset += header.length;
        if (Buffer.isBuffer(prepared.data)) {
          if (prepared.data.length > 0) yield prepared.data;
        } else {
          let streamed = 0;
          for await (const chunk of createReadStream2(prepared.data.file, { highWaterMark: 1 << 20 })) {
            streamed += chunk.length;
            yield chunk;
          }
          if (streamed !== record.compressedSize) {
            throw new LiveUpdateError("zip_file_changed", `'${head.entry.name}' changed while the bundle was being written. Make sure the build has finished before publishing.`, { stage: "zip", input: "path" });
          }
        }
        offset += record.compressedSize;
        records.push(record);
      } finally {
        await releaseEntry(prepared);
      }
    }
  } finally {
    for (const item of pending) void item.prepared.then(releaseEntry, () => void 0);
    await pool?.close();
  }
  const centralOffset = offset;
  for (const record of records) {
    const header = centralHeader(record);
    yield header;
    offset += header.length;
  }
  yield endOfCentralDirectory(records.length, offset - centralOffset, centralOffset);
  offset += 22;
  return { zipSize: offset, entryCount: records.length, mentionsNotifyAppReady };
}
__name(writeZip, "writeZip");

// src/core/bundle.ts
var LARGEST_FILES = 10;
async function createBundle(options) {
  const version = assertSemver(options.version);
  const folder = await scanWebDir(options.webDir);
  const partial = `${options.outFile}.partial-${randomBytes3(4).toString("hex")}`;
  try {
    const zip = createZipStream(folder, { tempDir: options.tempDir, level: options.compressionLevel });
    const encryptor = createBundleEncryptor(options.signing);
    await pipeline2(zip.stream, encryptor.transform, createWriteStream2(partial, { flags: "wx" }));
    const summary = await zip.summary;
    if (options.requireNotifyAppReady && !summary.mentionsNotifyAppReady) {
      throw new LiveUpdateError(
        "zip_no_notify_app_ready",
        "No .js file in the web output calls notifyAppReady(). Without CapacitorUpdater.notifyAppReady() the plugin rolls every update back. Call it when your app starts, or opt out with 'require-notify-app-ready: false' (CLI: --no-notify-check).",
        { stage: "zip", input: "path" }
      );
    }
    const crypto = encryptor.result();
    await rename(partial, options.outFile);
    return {
      version,
      sha256: crypto.sha256,
      checksum: crypto.checksum,
      sessionKey: crypto.sessionKey,
      keyId: options.signing.keyId,
      fileCount: folder.fileCount,
      rawSize: folder.rawSize,
      zipSize: crypto.zipSize,
      encryptedSize: crypto.encryptedSize,
      encryptedSha256: crypto.encryptedSha256,
      largestFiles: largestFiles(folder.entries)
    };
  } catch (error) {
    await rm2(partial, { force: true });
    throw error;
  }
}
__name(createBundle, "createBundle");
function largestFiles(entries) {
  return entries.filter((entry) => !entry.isDirectory).sort((a, b) => b.size - a.size || a.name.localeCompare(b.name)).slice(0, LARGEST_FILES).map((entry) => ({ path: entry.name, size: entry.size }));
}
__name(largestFiles, "largestFiles");

// src/core/verify.ts
import { constants as constants3, createDecipheriv, createHash as createHash2, publicDecrypt as publicDecrypt2 } from "node:crypto";
import { createReadStream as createReadStream4, createWriteStream as createWriteStream3 } from "node:fs";
import { mkdtemp, rm as rm3 } from "node:fs/promises";
import os2 from "node:os";
import path5 from "node:path";
import { Readable as Readable2, Transform as Transform3 } from "node:stream";
import { pipeline as pipeline4 } from "node:stream/promises";

// src/core/zip-reader.ts
import { createReadStream as createReadStream3 } from "node:fs";
import { open } from "node:fs/promises";
import { pipeline as pipeline3 } from "node:stream/promises";
import { Writable } from "node:stream";
import { createInflateRaw, crc32, inflateRawSync } from "node:zlib";
var ZipFormatError = class extends Error {
  static {
    __name(this, "ZipFormatError");
  }
  constructor(message) {
    super(message);
    this.name = "ZipFormatError";
  }
};
var EOCD_SIGNATURE = 101010256;
var ZIP64_LOCATOR_SIGNATURE = 117853008;
var CENTRAL_SIGNATURE = 33639248;
var LOCAL_SIGNATURE = 67324752;
var DESCRIPTOR_SIGNATURE = 134695760;
var EOCD_SIZE = 22;
var MAX_COMMENT = 65535;
var CENTRAL_HEADER_SIZE = 46;
var LOCAL_HEADER_SIZE = 30;
var FLAG_ENCRYPTED = 1;
var FLAG_DESCRIPTOR = 8;
var FLAG_UTF82 = 2048;
var STORED = 0;
var DEFLATED = 8;
async function readAt(handle, position, length) {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  if (bytesRead !== length) throw new ZipFormatError(`unexpected end of file at offset ${position} (wanted ${length} bytes, got ${bytesRead})`);
  return buffer;
}
__name(readAt, "readAt");
function decodeName(raw, flags) {
  return raw.toString(flags & FLAG_UTF82 ? "utf8" : "latin1");
}
__name(decodeName, "decodeName");
async function listZipEntries(file) {
  const handle = await open(file, "r");
  try {
    const { size: fileSize } = await handle.stat();
    if (fileSize < EOCD_SIZE) throw new ZipFormatError(`not a zip file: ${fileSize} bytes is too small for an end-of-central-directory record`);
    const tailLength = Math.min(fileSize, EOCD_SIZE + MAX_COMMENT);
    const tailStart = fileSize - tailLength;
    const tail = await readAt(handle, tailStart, tailLength);
    let eocd = -1;
    for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
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
    const totalEntries = tail.readUInt16LE(eocd + 10);
    const centralSize = tail.readUInt32LE(eocd + 12);
    const centralOffset = tail.readUInt32LE(eocd + 16);
    if (diskNumber !== 0 || centralDisk !== 0 || entriesOnDisk !== totalEntries) {
      throw new ZipFormatError("multi-disk (split) zip archives are not supported");
    }
    if (totalEntries === 65535 || centralSize === 4294967295 || centralOffset === 4294967295) {
      throw new ZipFormatError("ZIP64 archives are not supported: a bundle must stay under 4 GiB and 65535 entries");
    }
    if (centralOffset + centralSize > tailStart + eocd) {
      throw new ZipFormatError("the central directory lies outside the file (truncated or corrupt zip)");
    }
    const central = await readAt(handle, centralOffset, centralSize);
    const entries = [];
    let p = 0;
    for (let i = 0; i < totalEntries; i++) {
      if (p + CENTRAL_HEADER_SIZE > central.length || central.readUInt32LE(p) !== CENTRAL_SIGNATURE) {
        throw new ZipFormatError(`central directory entry ${i + 1} of ${totalEntries} is missing or corrupt`);
      }
      const flags = central.readUInt16LE(p + 8);
      const nameLength = central.readUInt16LE(p + 28);
      const extraLength = central.readUInt16LE(p + 30);
      const commentLength = central.readUInt16LE(p + 32);
      const entry = {
        name: decodeName(central.subarray(p + CENTRAL_HEADER_SIZE, p + CENTRAL_HEADER_SIZE + nameLength), flags),
        method: central.readUInt16LE(p + 10),
        flags,
        crc32: central.readUInt32LE(p + 16),
        compressedSize: central.readUInt32LE(p + 20),
        size: central.readUInt32LE(p + 24),
        localHeaderOffset: central.readUInt32LE(p + 42)
      };
      if (entry.compressedSize === 4294967295 || entry.size === 4294967295 || entry.localHeaderOffset === 4294967295) {
        throw new ZipFormatError(`entry '${entry.name}' uses ZIP64 sizes, which are not supported`);
      }
      if (central.readUInt16LE(p + 34) !== 0) throw new ZipFormatError(`entry '${entry.name}' starts on another disk (multi-disk zips are not supported)`);
      entries.push(entry);
      p += CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
    }
    return { entries, centralDirectoryOffset: centralOffset };
  } finally {
    await handle.close();
  }
}
__name(listZipEntries, "listZipEntries");
async function checkLocalEntries(file, listing) {
  const byOffset = new Map(listing.entries.map((entry) => [entry.localHeaderOffset, entry]));
  const handle = await open(file, "r");
  try {
    let offset = 0;
    for (let i = 0; i < listing.entries.length; i++) {
      const header = await readAt(handle, offset, LOCAL_HEADER_SIZE);
      if (header.readUInt32LE(0) !== LOCAL_SIGNATURE) {
        throw new ZipFormatError(`expected local header ${i + 1} of ${listing.entries.length} at offset ${offset}; Android's ZipInputStream reads entries back to back from the start of the file`);
      }
      const entry = byOffset.get(offset);
      if (!entry) throw new ZipFormatError(`the local header at offset ${offset} is not listed in the central directory (Android and iOS would see different files)`);
      const flags = header.readUInt16LE(6);
      const method = header.readUInt16LE(8);
      const nameLength = header.readUInt16LE(26);
      const extraLength = header.readUInt16LE(28);
      const name = decodeName(await readAt(handle, offset + LOCAL_HEADER_SIZE, nameLength), flags);
      const where = `entry '${entry.name}'`;
      if (name !== entry.name) throw new ZipFormatError(`${where}: the local header names it '${name}' (Android and iOS would see different files)`);
      if (method !== entry.method) throw new ZipFormatError(`${where}: local and central headers disagree on the compression method`);
      if (flags & FLAG_ENCRYPTED) throw new ZipFormatError(`${where} is zip-encrypted, which devices cannot read`);
      if (method !== STORED && method !== DEFLATED) throw new ZipFormatError(`${where} uses compression method ${method}; only stored (0) and deflated (8) are readable on devices`);
      if (method === STORED && flags & FLAG_DESCRIPTOR) {
        throw new ZipFormatError(`${where} is STORED with a data descriptor (flag bit 3), which Android's ZipInputStream cannot read ("only DEFLATED entries can have EXT descriptor")`);
      }
      if (!(flags & FLAG_DESCRIPTOR)) {
        const localCrc = header.readUInt32LE(14);
        const localCompressed = header.readUInt32LE(18);
        const localSize = header.readUInt32LE(22);
        if (localCrc !== entry.crc32 || localCompressed !== entry.compressedSize || localSize !== entry.size) {
          throw new ZipFormatError(`${where}: local header CRC/sizes disagree with the central directory`);
        }
      }
      if (method === STORED && entry.compressedSize !== entry.size) throw new ZipFormatError(`${where} is STORED but its compressed and uncompressed sizes differ`);
      const dataStart = offset + LOCAL_HEADER_SIZE + nameLength + extraLength;
      await checkEntryData(handle, file, entry, dataStart);
      offset = dataStart + entry.compressedSize;
      if (flags & FLAG_DESCRIPTOR) offset += await descriptorLength(handle, offset, entry);
    }
    if (offset !== listing.centralDirectoryOffset) {
      throw new ZipFormatError(`${listing.centralDirectoryOffset - offset} unexpected bytes between the last entry and the central directory`);
    }
  } finally {
    await handle.close();
  }
}
__name(checkLocalEntries, "checkLocalEntries");
async function descriptorLength(handle, offset, entry) {
  const descriptor = await readAt(handle, offset, 12);
  const signed = descriptor.readUInt32LE(0) === DESCRIPTOR_SIGNATURE;
  const fields = signed ? Buffer.concat([descriptor.subarray(4), await readAt(handle, offset + 12, 4)]) : descriptor;
  if (fields.readUInt32LE(0) !== entry.crc32 || fields.readUInt32LE(4) !== entry.compressedSize || fields.readUInt32LE(8) !== entry.size) {
    throw new ZipFormatError(`entry '${entry.name}': data descriptor disagrees with the central directory`);
  }
  return signed ? 16 : 12;
}
__name(descriptorLength, "descriptorLength");
var IN_MEMORY_LIMIT = 4 * 1024 * 1024;
async function checkEntryData(handle, file, entry, dataStart) {
  if (entry.method === DEFLATED && entry.compressedSize === 0) throw new ZipFormatError(`entry '${entry.name}' is deflated but has no compressed data`);
  const measured = entry.compressedSize <= IN_MEMORY_LIMIT && entry.size <= IN_MEMORY_LIMIT ? await measureInMemory(handle, entry, dataStart) : await measureStreaming(file, entry, dataStart);
  if (measured.size !== entry.size) throw new ZipFormatError(`entry '${entry.name}' holds ${measured.size} bytes, but its headers say ${entry.size}`);
  if (measured.crc !== entry.crc32) {
    throw new ZipFormatError(`entry '${entry.name}' fails its CRC-32 check (computed ${hex32(measured.crc)}, headers say ${hex32(entry.crc32)})`);
  }
}
__name(checkEntryData, "checkEntryData");
function hex32(value) {
  return value.toString(16).padStart(8, "0");
}
__name(hex32, "hex32");
function tooBig(entry) {
  return new ZipFormatError(`entry '${entry.name}' inflates to more than its declared ${entry.size} bytes`);
}
__name(tooBig, "tooBig");
async function measureInMemory(handle, entry, dataStart) {
  const raw = await readAt(handle, dataStart, entry.compressedSize);
  let data = raw;
  if (entry.method === DEFLATED) {
    try {
      data = inflateRawSync(raw, { maxOutputLength: entry.size + 1 });
    } catch (error) {
      if (error.code === "ERR_BUFFER_TOO_LARGE") throw tooBig(entry);
      throw new ZipFormatError(`entry '${entry.name}' cannot be inflated: ${error.message}`);
    }
  }
  return { crc: crc32(data), size: data.length };
}
__name(measureInMemory, "measureInMemory");
async function measureStreaming(file, entry, dataStart) {
  let crc = 0;
  let size = 0;
  const measure = new Writable({
    write(chunk, _encoding, callback) {
      crc = crc32(chunk, crc);
      size += chunk.length;
      callback(size > entry.size ? tooBig(entry) : null);
    }
  });
  const raw = createReadStream3(file, { start: dataStart, end: dataStart + entry.compressedSize - 1 });
  try {
    if (entry.method === DEFLATED) await pipeline3(raw, createInflateRaw(), measure);
    else await pipeline3(raw, measure);
  } catch (error) {
    if (error instanceof ZipFormatError) throw error;
    throw new ZipFormatError(`entry '${entry.name}' cannot be read: ${error.message}`);
  }
  return { crc, size };
}
__name(measureStreaming, "measureStreaming");

// src/core/verify.ts
var StepFailure = class extends Error {
  constructor(step, message) {
    super(message);
    this.step = step;
  }
  step;
  static {
    __name(this, "StepFailure");
  }
};
var RSA_BYTES = 256;
var SHA256_BYTES = 32;
var AES_KEY_BYTES2 = 16;
var IV_BYTES2 = 16;
function decodeBase64(text, what) {
  const bytes = Buffer.from(text, "base64");
  if (text === "" || bytes.toString("base64") !== text) throw new StepFailure("session-key", `${what} is not valid base64`);
  return bytes;
}
__name(decodeBase64, "decodeBase64");
function rsaPublicDecrypt(key, data) {
  try {
    return publicDecrypt2({ key, padding: constants3.RSA_PKCS1_PADDING }, data);
  } catch {
    return void 0;
  }
}
__name(rsaPublicDecrypt, "rsaPublicDecrypt");
function unwrapSessionKey(sessionKey, publicKeyPem) {
  let publicKey;
  try {
    publicKey = loadPublicKey(publicKeyPem).key;
  } catch (error) {
    throw new StepFailure("session-key", `the public key cannot be used: ${describeError(error)}`);
  }
  const parts = sessionKey.trim().split(":");
  if (parts.length !== 2) throw new StepFailure("session-key", `session key must be 'base64(iv):base64(wrappedKey)' (found ${parts.length - 1} ':' separators)`);
  const iv = decodeBase64(parts[0], "the IV part of the session key");
  if (iv.length !== IV_BYTES2) throw new StepFailure("session-key", `the IV is ${iv.length} bytes, expected ${IV_BYTES2}`);
  const wrapped = decodeBase64(parts[1], "the wrapped-key part of the session key");
  if (wrapped.length !== RSA_BYTES) throw new StepFailure("session-key", `the wrapped key is ${wrapped.length} bytes, expected ${RSA_BYTES} (RSA-2048)`);
  const aesKey = rsaPublicDecrypt(publicKey, wrapped);
  if (!aesKey) throw new StepFailure("session-key", "the wrapped AES key does not decrypt with this public key (wrong key pair, or a corrupted session key)");
  if (aesKey.length !== AES_KEY_BYTES2) throw new StepFailure("session-key", `the unwrapped AES key is ${aesKey.length} bytes, expected ${AES_KEY_BYTES2}`);
  return { aesKey, iv, publicKey };
}
__name(unwrapSessionKey, "unwrapSessionKey");
function recoverSignedSha256(checksum, publicKey) {
  const hex = checksum.trim();
  if (!/^[0-9a-fA-F]{512}$/.test(hex)) {
    throw new StepFailure("checksum", `the checksum must be ${RSA_BYTES * 2} hex characters (a V3 signed checksum), got ${hex.length} characters`);
  }
  const recovered = rsaPublicDecrypt(publicKey, Buffer.from(hex, "hex"));
  if (!recovered) throw new StepFailure("checksum", "the signed checksum does not decrypt with this public key (wrong key pair, or a corrupted checksum)");
  if (recovered.length !== SHA256_BYTES) throw new StepFailure("checksum", `the signed checksum holds ${recovered.length} bytes, expected a ${SHA256_BYTES}-byte SHA-256`);
  return recovered.toString("hex");
}
__name(recoverSignedSha256, "recoverSignedSha256");
var IdleWatchdog = class {
  constructor(ms) {
    this.ms = ms;
    this.touch();
  }
  ms;
  static {
    __name(this, "IdleWatchdog");
  }
  controller = new AbortController();
  timer;
  touch() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(new Error(`no data for ${this.ms / 1e3} s`)), this.ms);
    this.timer.unref();
  }
  stop() {
    clearTimeout(this.timer);
  }
};
async function openSource(options, watchdog) {
  const { source } = options;
  if (typeof source !== "string") return source;
  if (/^https?:\/\//i.test(source)) {
    const fetchImpl = options.fetch ?? globalThis.fetch;
    let response;
    try {
      response = await fetchImpl(source, { signal: watchdog.controller.signal });
    } catch (error) {
      const reason = watchdog.controller.signal.aborted ? describeError(watchdog.controller.signal.reason) : describeError(error);
      throw new StepFailure("download", `GET ${describeSource(source)} failed: ${reason}`);
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => void 0);
      throw new StepFailure("download", `GET ${describeSource(source)} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`);
    }
    if (!response.body) throw new StepFailure("download", `GET ${describeSource(source)} returned no body`);
    return Readable2.fromWeb(response.body);
  }
  return createReadStream4(source);
}
__name(openSource, "openSource");
function countingStream(onBytes) {
  return new Transform3({
    transform(chunk, _encoding, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    }
  });
}
__name(countingStream, "countingStream");
function decryptStream(aesKey, iv) {
  const decipher = createDecipheriv("aes-128-cbc", aesKey, iv);
  const tagged = /* @__PURE__ */ __name((work, callback) => {
    let out;
    try {
      out = work();
    } catch (error) {
      callback(new StepFailure("decrypt", `AES-128-CBC decryption failed (${describeError(error)}): the file is not this session key's ciphertext, or it is truncated or corrupted`));
      return;
    }
    callback(null, out);
  }, "tagged");
  return new Transform3({
    transform(chunk, _encoding, callback) {
      tagged(() => decipher.update(chunk), callback);
    },
    flush(callback) {
      tagged(() => decipher.final(), callback);
    }
  });
}
__name(decryptStream, "decryptStream");
function hashingStream(hash) {
  return new Transform3({
    transform(chunk, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    }
  });
}
__name(hashingStream, "hashingStream");
function checkSize(encryptedSize, expectedSize) {
  if (expectedSize !== void 0 && encryptedSize !== expectedSize) {
    throw new StepFailure("download", `got ${encryptedSize} bytes, expected ${expectedSize} (truncated or different upload)`);
  }
}
__name(checkSize, "checkSize");
function checkBundleEntryNames(entries) {
  const seen = /* @__PURE__ */ new Set();
  for (const { name } of entries) {
    if (name === "") throw new StepFailure("zip", "an entry has an empty name");
    if (name.includes("\\")) throw new StepFailure("zip", `entry '${name}' contains a backslash; Android rejects it (names must use '/')`);
    if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) throw new StepFailure("zip", `entry '${name}' is an absolute path`);
    if (name.split("/").includes("..")) throw new StepFailure("zip", `entry '${name}' has a '..' segment; devices reject paths escaping the bundle folder`);
    if (name.includes("\0")) throw new StepFailure("zip", `entry '${name}' contains a NUL character`);
    if (seen.has(name)) throw new StepFailure("zip", `entry '${name}' appears twice`);
    seen.add(name);
  }
  if (!seen.has("index.html")) {
    const nested = [...seen].find((name) => name.endsWith("/index.html"));
    throw new StepFailure("zip", `no index.html at the zip root${nested ? ` (found '${nested}': zip the CONTENTS of the web output folder, not the folder)` : ""}`);
  }
}
__name(checkBundleEntryNames, "checkBundleEntryNames");
async function checkZip(file) {
  try {
    const listing = await listZipEntries(file);
    checkBundleEntryNames(listing.entries);
    await checkLocalEntries(file, listing);
    return listing.entries.length;
  } catch (error) {
    if (error instanceof ZipFormatError) throw new StepFailure("zip", error.message);
    throw error;
  }
}
__name(checkZip, "checkZip");
async function verifyBundle(options) {
  let workDir;
  let source;
  const watchdog = new IdleWatchdog(options.idleTimeoutMs ?? 6e4);
  try {
    const { aesKey, iv, publicKey } = unwrapSessionKey(options.sessionKey, options.publicKeyPem);
    source = await openSource(options, watchdog);
    let sourceError;
    source.once("error", (error) => {
      sourceError = error;
    });
    workDir = await mkdtemp(path5.join(options.tempDir ?? os2.tmpdir(), "live-update-verify-"));
    const plainFile = path5.join(workDir, "bundle.zip");
    const plainHash = createHash2("sha256");
    let encryptedSize = 0;
    try {
      await pipeline4(
        source,
        countingStream((n) => {
          encryptedSize += n;
          watchdog.touch();
        }),
        decryptStream(aesKey, iv),
        hashingStream(plainHash),
        createWriteStream3(plainFile)
      );
    } catch (error) {
      if (watchdog.controller.signal.aborted) throw new StepFailure("download", `reading ${describeSource(options.source)} failed: ${describeError(watchdog.controller.signal.reason)}`);
      if (sourceError !== void 0) throw new StepFailure("download", `reading ${describeSource(options.source)} failed: ${describeError(sourceError)}`);
      checkSize(encryptedSize, options.expectedSize);
      throw error;
    }
    watchdog.stop();
    checkSize(encryptedSize, options.expectedSize);
    const sha256 = plainHash.digest("hex");
    const signed = recoverSignedSha256(options.checksum, publicKey);
    if (signed !== sha256) {
      throw new StepFailure("checksum", `the signed checksum is for sha256 ${signed}, but the decrypted zip has sha256 ${sha256} (devices answer checksum_fail)`);
    }
    const entries = await checkZip(plainFile);
    return { ok: true, sha256, entries, encryptedSize };
  } catch (error) {
    if (error instanceof StepFailure) return { ok: false, step: error.step, message: error.message };
    throw error;
  } finally {
    watchdog.stop();
    source?.destroy();
    if (workDir) await rm3(workDir, { recursive: true, force: true });
  }
}
__name(verifyBundle, "verifyBundle");
function describeSource(source) {
  if (typeof source !== "string") return "the bundle stream";
  return /^https?:\/\//i.test(source) ? safeUrl(source) : source;
}
__name(describeSource, "describeSource");
async function verifyBundleOrThrow(options) {
  const report = await verifyBundle(options);
  if (!report.ok) {
    throw new LiveUpdateError(`verify_${report.step.replace("-", "_")}`, `A device would reject the bundle from ${describeSource(options.source)} at the ${report.step} step: ${report.message}`, {
      stage: "verify",
      step: report.step
    });
  }
  return { sha256: report.sha256, entries: report.entries, encryptedSize: report.encryptedSize };
}
__name(verifyBundleOrThrow, "verifyBundleOrThrow");

export {
  ExitCode,
  LiveUpdateError,
  inputError,
  describeError,
  redact,
  createBundle,
  loadPrivateKey,
  assertPublicKeyMatches,
  createKeyPair,
  readCapacitorConfig,
  writePublicKeyToConfig,
  checkConfigWritable,
  safeUrl,
  excerpt,
  parseHttpUrl,
  resolveConfig,
  parseLevel,
  UsageError,
  verifyBundle,
  verifyBundleOrThrow
};
