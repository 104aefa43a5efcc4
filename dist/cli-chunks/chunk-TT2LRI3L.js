#!/usr/bin/env node
import { createRequire as __liveUpdateCreateRequire } from 'node:module';
const require = __liveUpdateCreateRequire(import.meta.url);
import {
  trackPath,
  untrackPath
} from "./chunk-Y4P5ZGNX.js";
import {
  DeflatePool,
  FileChangedError,
  FileReader,
  NOTIFY_APP_READY,
  SMALL_FILE_LIMIT,
  adoptEarlyDeflateWorkers,
  deflateBound,
  freeNow,
  isScript,
  memoryToTransfer,
  prepareFile,
  shouldDeflate,
  workerModule
} from "./chunk-A3MBY7IW.js";
import {
  INPUT_DEFAULTS,
  inputSpec
} from "./chunk-VEKAUZXL.js";
import {
  UsageError,
  excerpt,
  parseHttpUrl,
  quoteTemplate,
  safeUrl
} from "./chunk-NMXVV454.js";
import {
  LiveUpdateError,
  describeError,
  inputError
} from "./chunk-JDJCEH7T.js";

// src/core/paths.ts
import path from "node:path";
function isInside(root, target) {
  const relative = path.relative(path.resolve(root), path.resolve(target));
  if (relative === "") return true;
  if (path.isAbsolute(relative)) return false;
  return relative !== ".." && !relative.startsWith(`..${path.sep}`);
}

// src/core/config/index.ts
import path6 from "node:path";

// src/core/capacitor-config.ts
import { access, readFile, writeFile } from "node:fs/promises";
import path2 from "node:path";

// src/core/keys.ts
import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateEncrypt,
  publicDecrypt
} from "node:crypto";
var REQUIRED_BITS = 2048;
function named(input) {
  return /\s|\{\{/.test(input) ? input : `{{${input}}}`;
}
function keyError(code, input, message, cause) {
  return new LiveUpdateError(code, message, { stage: "keys", input, cause });
}
function normalizePem(text) {
  return text.replace(/\\r/g, "").replace(/\\n/g, "\n").replace(/\r\n?/g, "\n").trim();
}
function firstPemLabel(pem) {
  return /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1];
}
var PRIVATE_LABELS = /* @__PURE__ */ new Set([
  "RSA PRIVATE KEY",
  "PRIVATE KEY",
  "ENCRYPTED PRIVATE KEY",
  "EC PRIVATE KEY",
  "OPENSSH PRIVATE KEY",
  "DSA PRIVATE KEY"
]);
var PUBLIC_LABELS = /* @__PURE__ */ new Set(["RSA PUBLIC KEY", "PUBLIC KEY"]);
function keyIdOf(publicPem) {
  return normalizePem(publicPem).replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, "").replace(/\s+/g, "").slice(0, 20);
}
function pkcs1PublicPem(key) {
  const publicKey = key.type === "public" ? key : createPublicKey(key);
  return publicKey.export({ type: "pkcs1", format: "pem" }).toString();
}
function loadPrivateKey(pemText, input = "private-key") {
  const pem = normalizePem(pemText ?? "");
  if (pem === "") {
    throw keyError(
      "keys_private_key_empty",
      input,
      `${named(input)} is empty. Set it to the full PEM text of your private key file (.capgo_key_v2), usually from a CI secret.`
    );
  }
  const label = firstPemLabel(pem);
  if (label !== void 0 && PUBLIC_LABELS.has(label)) {
    throw keyError(
      "keys_private_key_is_public",
      input,
      `${named(input)} holds a public key (${label}). It needs the PRIVATE key (.capgo_key_v2, BEGIN RSA PRIVATE KEY); the public key (.capgo_key_v2.pub) goes in the app's capacitor.config.`
    );
  }
  if (label === "ENCRYPTED PRIVATE KEY" || /Proc-Type:\s*4,ENCRYPTED/i.test(pem)) {
    throw keyError(
      "keys_private_key_encrypted",
      input,
      `${named(input)} is passphrase-protected, which CI cannot unlock. Store an unencrypted copy as the secret, e.g. 'openssl rsa -in key.pem -traditional -out .capgo_key_v2' (it asks for the passphrase once).`
    );
  }
  if (label === "OPENSSH PRIVATE KEY") {
    throw keyError(
      "keys_private_key_openssh",
      input,
      `${named(input)} is an OpenSSH-format key, not a PEM RSA key. Create a signing key with 'live-update key create' (or 'npx @capgo/cli key create').`
    );
  }
  if (label === void 0) {
    throw keyError(
      "keys_private_key_invalid",
      input,
      `${named(input)} is not PEM text: expected a block starting with '-----BEGIN RSA PRIVATE KEY-----' (the whole .capgo_key_v2 file, header lines included).`
    );
  }
  let privateKey;
  try {
    privateKey = createPrivateKey({ key: pem, format: "pem" });
  } catch (error) {
    throw keyError(
      "keys_private_key_invalid",
      input,
      `${named(input)} could not be parsed as a PEM private key (${label} block). Check that the secret holds the complete .capgo_key_v2 file, unmodified.`,
      error
    );
  }
  assertRsa2048(privateKey, input, "private_key");
  assertSignsConsistently(privateKey, input);
  const publicKeyPem = pkcs1PublicPem(privateKey);
  return { privateKey, publicKeyPem, keyId: keyIdOf(publicKeyPem) };
}
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
    throw keyError(
      "keys_private_key_invalid",
      input,
      `${named(input)} is damaged: it parses, but a test signature does not verify with its own public key. Copy the complete .capgo_key_v2 file into the secret again, unmodified.`
    );
  }
}
function assertRsa2048(key, input, codePrefix) {
  if (key.asymmetricKeyType !== "rsa") {
    throw keyError(
      `keys_${codePrefix}_not_rsa`,
      input,
      `${named(input)} is a ${key.asymmetricKeyType ?? "non-RSA"} key. Capacitor live updates need an RSA-2048 key: create one with 'live-update key create'.`
    );
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== REQUIRED_BITS) {
    throw keyError(
      `keys_${codePrefix}_size_invalid`,
      input,
      `${named(input)} is an RSA-${bits} key; devices only accept RSA-${REQUIRED_BITS} (256-byte signatures). Create a new key with 'live-update key create'.`
    );
  }
}
function loadPublicKey(pemText, input = "public-key") {
  const pem = normalizePem(pemText ?? "");
  if (pem === "") {
    throw keyError(
      "keys_public_key_empty",
      input,
      `${named(input)} is empty. Set it to the full PEM text of .capgo_key_v2.pub (BEGIN RSA PUBLIC KEY).`
    );
  }
  const label = firstPemLabel(pem);
  if (label !== void 0 && PRIVATE_LABELS.has(label)) {
    throw keyError(
      "keys_public_key_is_private",
      input,
      `${named(input)} holds a PRIVATE key (${label}). Never put the private key in the app or a public input; use the public key (.capgo_key_v2.pub, BEGIN RSA PUBLIC KEY) here, and rotate the private key if it was committed.`
    );
  }
  if (label === "PUBLIC KEY") {
    throw keyError(
      "keys_public_key_spki",
      input,
      `${named(input)} is an SPKI public key (BEGIN PUBLIC KEY), which the Capacitor updater plugin does not accept. Use the PKCS#1 form (BEGIN RSA PUBLIC KEY), as written by 'live-update key create'; convert with 'openssl rsa -pubin -in key.pub -RSAPublicKey_out'.`
    );
  }
  if (label !== "RSA PUBLIC KEY") {
    throw keyError(
      "keys_public_key_invalid",
      input,
      `${named(input)} is not a PKCS#1 public key PEM: expected a block starting with '-----BEGIN RSA PUBLIC KEY-----' (the whole .capgo_key_v2.pub file).`
    );
  }
  let key;
  try {
    key = createPublicKey({ key: pem, format: "pem" });
  } catch (error) {
    throw keyError(
      "keys_public_key_invalid",
      input,
      `${named(input)} could not be parsed as an RSA public key. Check that it holds the complete, unmodified .capgo_key_v2.pub file.`,
      error
    );
  }
  assertRsa2048(key, input, "public_key");
  const canonical = pkcs1PublicPem(key);
  return { key, pem: canonical, keyId: keyIdOf(canonical) };
}
function assertPublicKeyMatches(signing, publicPem, source) {
  const app = loadPublicKey(publicPem, source);
  const ours = createPublicKey(signing.privateKey).export({ format: "jwk" });
  const theirs = app.key.export({ format: "jwk" });
  if (ours.n !== theirs.n || ours.e !== theirs.e) {
    throw new LiveUpdateError(
      "keys_public_key_mismatch",
      `The app's public key from ${source} (key_id ${app.keyId}) is not the pair of the private key (key_id ${signing.keyId}). Devices would reject every bundle signed with it. Use the private key that belongs to the app's public key, or update the app's public key and ship a new native build.`,
      { stage: "keys", input: "public-key" }
    );
  }
}
function createKeyPair() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: REQUIRED_BITS,
    publicExponent: 65537,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "pkcs1", format: "pem" }
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

// src/core/capacitor-config.ts
var CONFIG_FILES = [
  "capacitor.config.json",
  "capacitor.config.ts",
  "capacitor.config.js",
  "capacitor.config.mjs",
  "capacitor.config.cjs"
];
function configError(code, message) {
  return new LiveUpdateError(code, message, { stage: "input", input: "working-directory" });
}
async function exists(file) {
  return access(file).then(
    () => true,
    () => false
  );
}
async function readJsonConfig(file) {
  const text = await readFile(file, "utf8");
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw configError(
      "input_capacitor_config_invalid",
      `${file} is not valid JSON (${error.message}). Fix the file, or set the inputs it would provide explicitly.`
    );
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw configError("input_capacitor_config_invalid", `${file} must hold a JSON object.`);
  }
  return parsed;
}
function stringAt(value, ...keys) {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== "object") return void 0;
    current = current[key];
  }
  return typeof current === "string" ? current : void 0;
}
function unescapeJs(body) {
  return body.replace(/\\(\r?\n|u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/gs, (_match, escape) => {
    if (escape === "\n" || escape === "\r\n") return "";
    if (escape.startsWith("u{")) return String.fromCodePoint(parseInt(escape.slice(2, -1), 16));
    if (escape.length > 1 && (escape[0] === "u" || escape[0] === "x"))
      return String.fromCharCode(parseInt(escape.slice(1), 16));
    const simple = { n: "\n", r: "\r", t: "	", "0": "\0", b: "\b", f: "\f", v: "\v" };
    return simple[escape] ?? escape;
  });
}
function extractStringProperty(source, key) {
  const pattern = new RegExp(`(?:^|[\\s{,])['"]?${key}['"]?\\s*:\\s*(['"\`])((?:\\\\[\\s\\S]|(?!\\1)[^\\\\])*)\\1`, "m");
  const match = pattern.exec(source);
  if (!match) return void 0;
  const [, quote, body] = match;
  if (quote === "`" && body.includes("${")) return void 0;
  return unescapeJs(quote === "`" ? body.replace(/\r\n/g, "\n") : body);
}
async function readCapacitorConfig(projectDir) {
  for (const name of CONFIG_FILES) {
    const file = path2.resolve(projectDir, name);
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
async function writePublicKeyToConfig(file, publicPem) {
  loadPublicKey(publicPem, "public key");
  if (!file.endsWith(".json")) {
    throw new LiveUpdateError(
      "input_capacitor_config_not_json",
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
async function checkConfigWritable(file) {
  if (file.endsWith(".json")) await readWritableJsonConfig(file);
}
async function readWritableJsonConfig(file) {
  if (!await exists(file))
    throw new LiveUpdateError("input_capacitor_config_missing", `${file} does not exist.`, {
      stage: "input",
      input: "config"
    });
  return readJsonConfig(file);
}
function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

// src/core/config/build.ts
function resolveBuild(inputs) {
  return {
    buildCommand: inputs.read("build-command"),
    buildTimeoutMs: parseBuildTimeout(inputs.read("build-timeout-minutes"))
  };
}
function parseBuildTimeout(value) {
  const minutes = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(minutes > 0) || minutes > 360) {
    throw inputError(
      "build-timeout-minutes",
      "input_build_timeout_invalid",
      `{{build-timeout-minutes}} must be a number of minutes above 0 and at most 360 (e.g. 30); got '${value}'.`
    );
  }
  return Math.round(minutes * 6e4);
}

// src/core/modes/preview.ts
var DEFAULT_PREVIEW_CHANNEL = "pr-{number}";
var CHANNEL = /^[a-z0-9][\w.-]{0,63}$/i;
function previewChannel(template, pullRequest) {
  const channel = (template || DEFAULT_PREVIEW_CHANNEL).replaceAll("{number}", String(pullRequest));
  if (!CHANNEL.test(channel)) {
    throw inputError(
      "preview-channel",
      "input_preview_channel_invalid",
      `{{preview-channel}} must give a channel of letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit) once {number} is replaced; got '${channel}'.`
    );
  }
  return channel;
}
function previewVersion(packageVersion2, pullRequest, runNumber) {
  const base = packageVersion2.replace(/[-+].*$/, "");
  return `${base}-pr.${pullRequest}.${runNumber}`;
}

// src/core/config/bundle.ts
import { readFile as readFile3, stat } from "node:fs/promises";
import path4 from "node:path";

// src/core/config/secrets.ts
function secretParts(value) {
  const lines = value.split(/\r\n|\r|\n|\\r\\n|\\n|\\r/).map((line) => line.trim()).filter((line) => line.length > 8);
  return [value, ...lines];
}

// src/core/config/version.ts
import { readFile as readFile2 } from "node:fs/promises";
import path3 from "node:path";

// src/core/version.ts
var SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
function isSemver(version) {
  return SEMVER.test(version);
}
function assertSemver(version, input = "version") {
  if (!isSemver(version)) {
    throw inputError(
      input,
      "input_version_invalid",
      `{{${input}}} must be a semantic version such as 1.2.3 or 1.2.3-beta.1 (a leading v is dropped); got '${version}'.`
    );
  }
  if (version === "0.0.0") {
    throw inputError(input, "input_version_invalid", `{{${input}}} must be greater than 0.0.0 (Capgo refuses 0.0.0).`);
  }
  return version;
}

// src/core/config/version.ts
function dropV(value) {
  return /^[vV]\d/.test(value) ? value.slice(1) : value;
}
async function resolveVersion(inputs, ref, workingDirectory) {
  const explicit = inputs.read("version");
  if (explicit) return { version: normalizeVersion(explicit), source: "{{version}}" };
  const tag = /^refs\/tags\/(.+)$/.exec(ref ?? "")?.[1];
  if (tag) return { version: versionOfTag(tag, inputs), source: `the tag ${tag}` };
  return { version: assertSemver(await packageVersion(workingDirectory), "version"), source: "package.json" };
}
function versionOfTag(tag, inputs) {
  const prefix = inputs.read("tag-prefix") ?? "";
  let rest = tag;
  if (prefix && tag.startsWith(prefix)) {
    rest = tag.slice(prefix.length);
  } else if (prefix && inputs.given("tag-prefix")) {
    throw inputError(
      "tag-prefix",
      "input_tag_invalid",
      `The pushed tag '${tag}' does not start with {{tag-prefix}} '${prefix}'. Push a tag like ${prefix}1.2.3, change {{tag-prefix}}, or set {{version}}.`
    );
  }
  const version = dropV(rest);
  if (!isSemver(version) || version === "0.0.0") {
    throw inputError(
      "version",
      "input_tag_invalid",
      `The pushed tag '${tag}' does not hold a semantic version${prefix ? ` after the prefix '${prefix}'` : ""}: '${version}' is not like 1.2.3 or 1.2.3-beta.1. Push a tag like ${prefix || "v"}1.2.3, set {{tag-prefix}} (e.g. mobile-v for mobile-v1.2.3), or set {{version}}.`
    );
  }
  return version;
}
async function packageVersion(dir) {
  try {
    const pkg = JSON.parse(await readFile2(path3.join(dir, "package.json"), "utf8"));
    if (pkg.version) return pkg.version;
  } catch {
  }
  throw inputError(
    "version",
    "input_version_missing",
    "Set {{version}}, push a tag like v1.2.3, or give package.json a version."
  );
}
function normalizeVersion(value, field = "version") {
  return assertSemver(dropV(value.trim()), field);
}

// src/core/config/public-key.ts
var BEGIN = "-----BEGIN RSA PUBLIC KEY-----";
var END = "-----END RSA PUBLIC KEY-----";
var FIX = `Write it exactly as .capgo_key_v2.pub holds it, starting with -----BEGIN RSA PUBLIC KEY----- (nothing before it, not even a newline), e.g. 'live-update key create --config capacitor.config.json' writes it, or in JSON "publicKey": "-----BEGIN RSA PUBLIC KEY-----\\nMIIB...\\n-----END RSA PUBLIC KEY-----\\n"; then run 'npx cap sync' and ship a native build.`;
function formError(source, problem) {
  return new LiveUpdateError(
    "input_public_key_form_invalid",
    `The app's public key (${source}) ${problem}, so the updater plugin would skip decryption and every update would fail on devices. ${FIX}`,
    {
      stage: "input",
      field: "public-key"
    }
  );
}
function checkPluginPublicKey(text, source) {
  try {
    loadPublicKey(text, source);
  } catch (error) {
    if (error instanceof LiveUpdateError)
      throw new LiveUpdateError(error.code, error.message, { stage: "input", field: "public-key", cause: error });
    throw error;
  }
  const at = text.indexOf(BEGIN);
  if (at > 0) {
    const before = text.slice(0, at);
    const what = /^\s+$/.test(before) ? /^[ \t]+$/.test(before) ? "spaces" : "a line break" : `${before.length} characters`;
    throw formError(source, `has ${what} before ${BEGIN}`);
  }
  if (/\\[nr]/.test(text))
    throw formError(source, "holds the two characters \\n (an escaped newline) instead of line breaks");
  const end = text.indexOf(END);
  if (end === -1 || text.slice(end + END.length).trim() !== "") throw formError(source, `has text after ${END}`);
}

// src/core/config/bundle.ts
var APP_ID = /^[a-z][\w-]*(\.[\w-]+)+$/i;
var CHANNEL2 = /^[a-z0-9][\w.-]{0,63}$/i;
async function resolveBundle(inputs, capacitor, workingDirectory, run) {
  const appId = resolveAppId(inputs, capacitor, workingDirectory);
  const webDirInput = inputs.read("path") ?? capacitor.webDir;
  if (!webDirInput)
    throw inputError(
      "path",
      "input_path_missing",
      `Set {{path}} to the web output folder (e.g. dist): no webDir was found in a capacitor.config in ${workingDirectory}.`
    );
  const { version, source: versionSource } = await resolveVersion(inputs, run.ref, workingDirectory);
  const channel = resolveChannel(inputs);
  const key = await resolvePrivateKey(inputs, workingDirectory, Boolean(run.pullRequest));
  const explicitPublicKey = inputs.read("public-key");
  const publicKeySource = explicitPublicKey ? "{{public-key}}" : `${capacitor.file ? path4.basename(capacitor.file) : "capacitor.config"} plugins.CapacitorUpdater.publicKey`;
  const publicKeyPem = explicitPublicKey ?? capacitor.publicKey;
  if (publicKeyPem !== void 0) checkPluginPublicKey(publicKeyPem, publicKeySource);
  return {
    appId,
    version,
    versionSource,
    channel,
    webDir: path4.resolve(workingDirectory, webDirInput),
    ...key,
    publicKeyPem,
    publicKeySource,
    requireNotifyAppReady: inputs.bool("require-notify-app-ready"),
    compressionLevel: inputs.int(
      "compression-level",
      "input_compression_level_invalid",
      " (1 fastest, 9 smallest; 6 matches Capgo's CLI)"
    )
  };
}
function resolveAppId(inputs, capacitor, workingDirectory) {
  const appId = inputs.read("app-id") ?? capacitor.appId;
  if (!appId) {
    const why = capacitor.file ? `${path4.basename(capacitor.file)} in ${workingDirectory} has no appId` : `there is no capacitor.config in ${workingDirectory} (check out the repository first, or point {{working-directory}} at the Capacitor project)`;
    throw inputError("app-id", "input_app_id_missing", `Set {{app-id}} (e.g. com.example.app): ${why}.`);
  }
  if (!APP_ID.test(appId)) {
    throw inputError(
      "app-id",
      "input_app_id_invalid",
      `{{app-id}} must be a reverse-domain id whose first part starts with a letter, such as com.example.app; got '${appId}'.`
    );
  }
  return appId;
}
function resolveChannel(inputs) {
  const channel = inputs.read("channel");
  if (!CHANNEL2.test(channel)) {
    throw inputError(
      "channel",
      "input_channel_invalid",
      `{{channel}} may hold letters, digits, '.', '_' and '-' (at most 64), starting with a letter or digit; got '${channel}'.`
    );
  }
  return channel;
}
async function assertWorkingDirectory(dir) {
  const info = await stat(dir).catch(() => void 0);
  if (!info?.isDirectory()) {
    throw inputError(
      "working-directory",
      "input_working_directory_missing",
      `{{working-directory}} ${dir} is not a folder. Check out the repository first (actions/checkout) and point {{working-directory}} at the Capacitor project.`
    );
  }
}
async function resolvePrivateKey(inputs, cwd, onPullRequest) {
  const text = inputs.secret("private-key");
  const file = inputs.read("private-key-file");
  if (text && file) {
    throw inputError(
      "private-key",
      "input_private_key_conflict",
      "Both {{private-key}} and {{private-key-file}} are set: give the key one way only, so it is clear which key signs."
    );
  }
  let pem = text;
  if (file) {
    const absolute = path4.resolve(cwd, file);
    try {
      pem = await readFile3(absolute, "utf8");
    } catch {
      throw inputError(
        "private-key-file",
        "input_file_unreadable",
        `Cannot read {{private-key-file}} '${file}' (${absolute}). Check the path.`
      );
    }
    inputs.secrets.push(...secretParts(pem));
  }
  const field = file ? "private-key-file" : "private-key";
  if (!pem?.trim()) {
    if (onPullRequest) return { privateKeyField: field };
    throw inputError(
      "private-key",
      "input_private_key_missing",
      "No private key: set {{private-key}} to the PEM text of .capgo_key_v2 (kept in the CI secret LIVE_UPDATE_PRIVATE_KEY), or {{private-key-file}} to its path."
    );
  }
  if (!pem.includes("-----BEGIN") && isBase64Of(pem, "-----BEGIN")) {
    throw inputError(
      field,
      "input_private_key_base64",
      `{{${field}}} holds base64-encoded text of a PEM key, not the PEM itself. Store the .capgo_key_v2 file as it is, or decode it first (base64 -d > key.pem) and give that file.`
    );
  }
  const blocks = pem.match(/-----BEGIN [A-Z0-9 ]+-----/g)?.length ?? 0;
  if (blocks > 1) {
    throw inputError(
      field,
      "input_private_key_ambiguous",
      `{{${field}}} holds ${blocks} PEM blocks; it must hold exactly one private key (the whole .capgo_key_v2 file, nothing else).`
    );
  }
  return { privateKeyPem: pem, privateKeyField: field };
}
function isBase64Of(text, prefix) {
  const compact = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return false;
  return Buffer.from(compact, "base64").toString("utf8").trimStart().startsWith(prefix);
}

// src/core/modes/inputs.ts
var RELEASE_MODES = ["publish", "promote", "rollback", "cleanup"];
function parseRolloutPercentage(text) {
  if (text === void 0 || text.trim() === "") return 100;
  const value = Number(text.trim().replace(/%$/, ""));
  const basisPoints = value * 100;
  if (!Number.isFinite(value) || value < 0.01 || value > 100 || Math.abs(basisPoints - Math.round(basisPoints)) > 1e-6) {
    throw inputError(
      "rollout-percentage",
      "input_rollout_percentage_invalid",
      `{{rollout-percentage}} must be a number from 0.01 to 100 with at most two decimals (e.g. 10 for a 10 % rollout, 100 for everyone); got '${text}'.`
    );
  }
  return value;
}
function resolveRelease(inputs, facts) {
  const mode = inputs.mode?.trim() || "publish";
  if (!RELEASE_MODES.includes(mode))
    throw inputError(
      "mode",
      "input_choice_invalid",
      `{{mode}} must be one of ${RELEASE_MODES.join(", ")}; got '${inputs.mode}'.`
    );
  const rolloutPercentage = parseRolloutPercentage(inputs.rolloutPercentage);
  if (mode !== "publish" && rolloutPercentage !== 100) {
    throw inputError(
      "rollout-percentage",
      "input_rollout_percentage_invalid",
      `{{rollout-percentage}} applies to {{mode}} publish only; {{mode}} ${mode} changes no share. Remove it.`
    );
  }
  const template = inputs.previewChannel?.trim() || DEFAULT_PREVIEW_CHANNEL;
  const needsPr = template.includes("{number}");
  const channelOfPr = (input) => {
    if (needsPr && facts.pullRequest === void 0) {
      throw inputError(
        input,
        "input_preview_channel_invalid",
        `{{${input}}} needs a pull request: run it on pull_request events (for cleanup: pull_request with types: [closed]), or give {{preview-channel}} without {number}.`
      );
    }
    return previewChannel(template, facts.pullRequest ?? 0);
  };
  if (mode === "cleanup") return { mode, channel: channelOfPr("mode"), rolloutPercentage };
  if (inputs.preview && mode === "publish") {
    const channel = channelOfPr("preview");
    const pullRequest = facts.pullRequest ?? 0;
    const version = facts.explicitVersion ?? (facts.packageVersion ? previewVersion(facts.packageVersion, pullRequest, facts.runNumber ?? "0") : void 0);
    return { mode, channel, rolloutPercentage, version, preview: { pullRequest } };
  }
  return {
    mode,
    channel: facts.channel,
    rolloutPercentage,
    version: mode === "rollback" ? facts.explicitVersion : void 0
  };
}

// src/core/config/release.ts
function resolveReleaseConfig(inputs, context, packageVersion2) {
  const release = resolveRelease(
    {
      mode: inputs.read("mode"),
      rolloutPercentage: inputs.given("rollout-percentage") ? inputs.read("rollout-percentage") : void 0,
      preview: inputs.bool("preview"),
      previewChannel: inputs.read("preview-channel")
    },
    {
      channel: inputs.read("channel"),
      explicitVersion: inputs.given("version") ? normalizeVersion(inputs.read("version")) : void 0,
      packageVersion: packageVersion2,
      pullRequest: context.pullRequest?.number,
      runNumber: context.runNumber
    }
  );
  if (release.mode !== "publish" && inputs.bool("dry-run")) {
    throw inputError(
      "dry-run",
      "input_choice_invalid",
      `{{dry-run}} applies to {{mode}} publish only; {{mode}} ${release.mode} has nothing to try out locally. Remove {{dry-run}}.`
    );
  }
  return { ...release, run: { runId: context.git?.runId, runAttempt: context.git?.runAttempt } };
}

// src/core/config/reader.ts
function createInputs(readRaw) {
  const secrets = [];
  const raw = (name) => {
    const value = readRaw(name)?.trim();
    return value ? value : void 0;
  };
  const read = (name) => raw(name) ?? INPUT_DEFAULTS[name];
  return {
    secrets,
    read,
    given: (name) => raw(name) !== void 0,
    secret(name) {
      const value = raw(name);
      if (value) secrets.push(...secretParts(value));
      return value;
    },
    bool: (name) => parseBoolean(read(name) ?? "false", name),
    int(name, code, hint = "") {
      const spec = inputSpec(name);
      const value = read(name) ?? "";
      const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
      if (!Number.isInteger(number) || number < (spec.min ?? 0) || number > (spec.max ?? Number.MAX_SAFE_INTEGER)) {
        const range = spec.max === void 0 ? `${spec.min ?? 0} or more` : `from ${spec.min ?? 0} to ${spec.max}`;
        throw inputError(name, code, `{{${name}}} must be a whole number ${range}${hint}; got '${value}'.`);
      }
      return number;
    },
    choice(name) {
      const allowed = inputSpec(name).choices ?? [];
      const value = read(name) ?? "";
      if (!allowed.includes(value))
        throw inputError(
          name,
          "input_choice_invalid",
          `{{${name}}} must be one of ${allowed.join(", ")}; got '${value}'.`
        );
      return value;
    }
  };
}
function parseBoolean(value, name) {
  const normalized = value.trim().toLowerCase();
  if (["true", "yes", "1", "on"].includes(normalized)) return true;
  if (["false", "no", "0", "off"].includes(normalized)) return false;
  throw inputError(name, "input_boolean_invalid", `{{${name}}} must be true or false; got '${value}'.`);
}

// src/core/device-gates.ts
var SIGNED_HEX = /^[0-9a-f]{512}$/;
function isLoopbackHost(hostname) {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}
function assertDeviceUrl(url, input = "public-url") {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new LiveUpdateError(
      "input_device_url_invalid",
      `The bundle URL devices would fetch is not a valid URL. Check {{${input}}}.`,
      { stage: "input", input }
    );
  }
  if (parsed.protocol === "https:") return;
  if (parsed.protocol === "file:" || parsed.protocol === "http:" && isLoopbackHost(parsed.hostname)) return;
  throw new LiveUpdateError(
    "input_device_url_not_https",
    `Devices would fetch the bundle from a ${parsed.protocol.replace(":", "")} URL (${parsed.origin === "null" ? parsed.protocol : parsed.origin}); the updater plugin (httpsOnly, on by default) refuses anything but https. Set {{${input}}} to an https URL template such as https://updates.example.com/{key}.`,
    { stage: "input", input }
  );
}
function assertSignedForDevices(bundle) {
  const missing = [];
  if (!bundle.sessionKey?.includes(":")) missing.push("session key");
  if (!SIGNED_HEX.test(bundle.checksum)) missing.push("signed checksum");
  if (!bundle.signature || !SIGNED_HEX.test(bundle.signature)) missing.push("signed metadata (signature)");
  if (missing.length === 0) return;
  throw new LiveUpdateError(
    "register_signature_missing",
    `Refusing to register: the bundle has no valid ${missing.join(", ")}. Devices with the app's public key would refuse it or skip checks. This is a bug in the publishing pipeline.`,
    { stage: "register" }
  );
}

// src/core/config/registrar.ts
function resolveRegistrar(inputs, dryRun) {
  const kind = inputs.choice("server");
  if (kind === "capgo") {
    const apiKey = inputs.secret("capgo-api-key");
    if (!apiKey && !dryRun) {
      throw inputError(
        "capgo-api-key",
        "input_capgo_api_key_missing",
        "With {{server}} capgo, set {{capgo-api-key}} from a secret (a Capgo API key with upload rights: Capgo > API keys), or use {{server}} none to upload only."
      );
    }
    const apiUrl = inputs.read("capgo-api-url");
    parseHttpUrl(apiUrl, "capgo-api-url", "input_capgo_api_url_invalid", "https://api.capgo.app");
    return { kind: "capgo", apiUrl: apiUrl.replace(/\/+$/, ""), apiKey: apiKey ?? "" };
  }
  if (kind === "webhook") {
    const url = inputs.read("webhook-url");
    if (!url)
      throw inputError(
        "webhook-url",
        "input_webhook_url_invalid",
        "With {{server}} webhook, set {{webhook-url}} to your update server's endpoint (https://...)."
      );
    parseHttpUrl(url, "webhook-url", "input_webhook_url_invalid", "https://updates.example.com/hooks/live-update");
    const secret = inputs.secret("webhook-secret");
    if (!secret && !dryRun) {
      throw inputError(
        "webhook-secret",
        "input_webhook_secret_missing",
        "With {{server}} webhook, set {{webhook-secret}} from a secret: the receiver uses it to check the X-Signature-256 header."
      );
    }
    return { kind: "webhook", url, secret: secret ?? "" };
  }
  return { kind };
}
function assertRegistrarAcceptsUrl(registrar, sampleUrl) {
  if (registrar.kind === "none" || sampleUrl === void 0) return;
  if (registrar.kind !== "capgo") return assertDeviceUrl(sampleUrl, "public-url");
  let protocol;
  try {
    protocol = new URL(sampleUrl).protocol;
  } catch {
    protocol = void 0;
  }
  if (protocol === "https:") return;
  const shown = protocol === "file:" ? "a local file:// URL (storage dir)" : safeUrl(sampleUrl);
  throw inputError(
    "public-url",
    "input_public_url_not_https",
    `Capgo needs https bundle URLs, but bundles would be downloaded from ${shown}. Set {{public-url}} to an https URL template such as https://updates.example.com/{key} (a CDN or custom domain in front of the bucket).`
  );
}

// src/core/config/report.ts
function resolveReport(inputs) {
  return {
    summary: inputs.bool("summary"),
    prComment: inputs.choice("pr-comment"),
    githubToken: inputs.secret("github-token")
  };
}

// src/core/config/storage.ts
import { realpath } from "node:fs/promises";
import path5 from "node:path";

// src/core/storage/object-key.ts
var MAX_KEY_BYTES = 1024;
var KEY_PLACEHOLDERS = ["appId", "version", "channel", "hash"];
var URL_PLACEHOLDERS = ["key", "bucket"];
function keyError2(message) {
  return new LiveUpdateError("input_object_key_invalid", message, { stage: "input", field: "object-key" });
}
function urlError(message) {
  return new LiveUpdateError("input_public_url_invalid", message, { stage: "input", field: "public-url" });
}
function substitute(template, allowed, values, fail2) {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const open3 = template.indexOf("{", i);
    const close = template.indexOf("}", i);
    if (close !== -1 && (open3 === -1 || close < open3)) {
      throw fail2(
        `Unbalanced '}' at position ${close} in template "${template}". Placeholders look like {${allowed[0]}}.`
      );
    }
    if (open3 === -1) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, open3);
    const end = template.indexOf("}", open3);
    if (end === -1) throw fail2(`Unclosed '{' at position ${open3} in template "${template}".`);
    const name = template.slice(open3 + 1, end);
    if (!allowed.includes(name)) {
      throw fail2(
        `Unknown placeholder {${name}} in template "${template}". Known placeholders: ${allowed.map((p) => `{${p}}`).join(" ")}.`
      );
    }
    const value = values[name];
    if (value === void 0) throw fail2(`No value for placeholder {${name}} in template "${template}".`);
    out += value;
    i = end + 1;
  }
  return out;
}
function objectKeyProblem(key) {
  if (key.length === 0) return "the key is empty";
  if (key.startsWith("/")) return 'the key starts with "/"';
  if (key.endsWith("/")) return 'the key ends with "/" (that names a folder, not a file)';
  if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) return `the key is longer than ${MAX_KEY_BYTES} bytes`;
  if (/[\u0000-\u001f\u007f\\]/.test(key)) return "the key contains a control character or a backslash";
  for (const segment of key.split("/")) {
    if (segment === "") return 'the key contains an empty segment ("//")';
    if (segment === ".." || segment === ".") return `the key contains a "${segment}" segment`;
  }
  return void 0;
}
function assertValidObjectKey(key) {
  const problem = objectKeyProblem(key);
  if (problem)
    throw keyError2(
      `Invalid object key "${key}": ${problem}. Check {{object-key}} and the app id / version / channel it uses.`
    );
}
function renderObjectKey(template, values) {
  if (!template.trim()) throw keyError2("{{object-key}} is empty.");
  const key = substitute(template, KEY_PLACEHOLDERS, { ...values }, keyError2);
  if (!template.includes("{version}") && !template.includes("{hash}")) {
    throw keyError2(
      `{{object-key}} "${template}" has neither {version} nor {hash}: every bundle would get the same key.`
    );
  }
  assertValidObjectKey(key);
  return key;
}
function encodeKeyPath(key) {
  return key.split("/").map(
    (segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  ).join("/");
}
function renderPublicUrl(template, key, bucket = "") {
  return substitute(
    template,
    URL_PLACEHOLDERS,
    { key: encodeKeyPath(key), bucket: encodeURIComponent(bucket) },
    urlError
  );
}
function deriveS3ObjectUrl(settings, key) {
  const path12 = encodeKeyPath(key);
  const bucket = encodeURIComponent(settings.bucket);
  if (!settings.endpoint) {
    if (settings.forcePathStyle || settings.bucket.includes("."))
      return `https://s3.${settings.region}.amazonaws.com/${bucket}/${path12}`;
    return `https://${bucket}.s3.${settings.region}.amazonaws.com/${path12}`;
  }
  const endpoint = new URL(settings.endpoint);
  const base = endpoint.pathname.replace(/\/+$/, "");
  if (settings.forcePathStyle) return `${endpoint.protocol}//${endpoint.host}${base}/${bucket}/${path12}`;
  return `${endpoint.protocol}//${bucket}.${endpoint.host}${base}/${path12}`;
}

// src/core/config/storage.ts
var SAMPLE_HASH = "0123456789abcdef";
var BUCKET = /^[a-zA-Z0-9._:-]{1,255}$/;
async function resolveStorage(inputs, context) {
  const kind = inputs.choice("storage");
  const objectKeyTemplate = inputs.read("object-key");
  const sampleKey = renderObjectKey(objectKeyTemplate, {
    appId: context.appId,
    version: context.version,
    channel: context.channel,
    hash: SAMPLE_HASH
  });
  const publicUrlTemplate = inputs.read("public-url");
  if (publicUrlTemplate) checkPublicUrlTemplate(publicUrlTemplate);
  if (kind === "dir") {
    const given = inputs.read("storage-dir");
    if (!given)
      throw inputError(
        "storage-dir",
        "input_storage_dir_missing",
        "With {{storage}} dir, set {{storage-dir}} to the folder that receives bundles."
      );
    const dir = path5.resolve(context.workingDirectory, given);
    if (await isInsideOrSame(dir, context.webDir)) {
      throw inputError(
        "storage-dir",
        "input_storage_dir_inside_web_dir",
        `{{storage-dir}} ${dir} is inside the web folder ${context.webDir}: every bundle would contain the previous ones. Choose a folder outside it.`
      );
    }
    const sampleUrl2 = publicUrlTemplate ? renderPublicUrl(publicUrlTemplate, sampleKey) : void 0;
    return { storage: { kind: "dir", dir, publicUrlTemplate }, objectKeyTemplate, sampleUrl: sampleUrl2 ?? "file:///" };
  }
  const bucket = inputs.read("s3-bucket");
  if (!bucket && context.dryRun) return { storage: { kind: "none" }, objectKeyTemplate };
  if (!bucket)
    throw inputError(
      "s3-bucket",
      "input_s3_bucket_missing",
      "With {{storage}} s3, set {{s3-bucket}} to your bucket's name."
    );
  if (!BUCKET.test(bucket)) {
    throw inputError(
      "s3-bucket",
      "input_s3_bucket_invalid",
      `{{s3-bucket}} '${bucket.slice(0, 80)}' is not a bucket name: give the name only (no s3:// prefix, no slash, no spaces).`
    );
  }
  const endpoint = inputs.read("s3-endpoint");
  if (endpoint)
    parseHttpUrl(endpoint, "s3-endpoint", "input_s3_endpoint_invalid", "https://<account>.r2.cloudflarestorage.com");
  const accessKeyId = inputs.secret("s3-access-key-id");
  const secretAccessKey = inputs.secret("s3-secret-access-key");
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw inputError(
      accessKeyId ? "s3-secret-access-key" : "s3-access-key-id",
      "input_s3_credentials_incomplete",
      "Set both {{s3-access-key-id}} and {{s3-secret-access-key}}, or neither (to use the standard AWS credentials of the job, e.g. from aws-actions/configure-aws-credentials or AWS_* variables)."
    );
  }
  const partSizeMiB = inputs.int("s3-part-size-mib", "input_part_size_invalid", " (S3's multipart limits)");
  const region = inputs.read("s3-region");
  const forcePathStyle = inputs.bool("s3-force-path-style");
  const storage = {
    kind: "s3",
    bucket,
    // us-east-1 works everywhere: R2 treats it as 'auto', and MinIO, Swift and Ceph expect it.
    region,
    endpoint,
    forcePathStyle,
    accessKeyId,
    secretAccessKey,
    acl: inputs.read("s3-acl"),
    cacheControl: inputs.read("cache-control"),
    publicUrlTemplate,
    partSizeMiB,
    checksumMode: inputs.choice("s3-checksum")
  };
  const sampleUrl = publicUrlTemplate ? renderPublicUrl(publicUrlTemplate, sampleKey, bucket) : deriveS3ObjectUrl({ bucket, region, endpoint, forcePathStyle }, sampleKey);
  return { storage, objectKeyTemplate, sampleUrl };
}
function checkPublicUrlTemplate(template) {
  const shown = quoteTemplate(template);
  const fail2 = (problem) => inputError("public-url", "input_public_url_invalid", `{{public-url}} ${problem}; got '${shown}'.`);
  if (!template.includes("{key}")) throw fail2("must contain {key}, e.g. https://updates.example.com/{key}");
  let rendered;
  try {
    rendered = renderPublicUrl(template, "app/1.0.0/0123456789abcdef.zip", "bucket");
  } catch {
    throw fail2("may only use the placeholders {key} and {bucket}");
  }
  let url;
  try {
    url = new URL(rendered);
  } catch {
    throw fail2("must be an absolute URL such as https://updates.example.com/{key}");
  }
  if (!["https:", "http:", "file:"].includes(url.protocol)) throw fail2(`must be an https:// URL (not ${url.protocol})`);
  if (url.username || url.password)
    throw fail2(
      "must not contain credentials (user:password@): serve bundles from a public URL (a CDN or custom domain)"
    );
}
async function isInsideOrSame(inner, outer) {
  const [a, b] = await Promise.all([realPathOrSelf(inner), realPathOrSelf(outer)]);
  const relative = path5.relative(b, a);
  return relative === "" || relative !== ".." && !relative.startsWith(`..${path5.sep}`) && !path5.isAbsolute(relative);
}
async function realPathOrSelf(file) {
  const rest = [];
  let current = path5.resolve(file);
  for (; ; ) {
    try {
      return path5.join(await realpath(current), ...rest);
    } catch {
      const parent = path5.dirname(current);
      if (parent === current) return path5.resolve(file);
      rest.unshift(path5.basename(current));
      current = parent;
    }
  }
}

// src/core/config/index.ts
async function resolveConfig(readRaw, context) {
  const inputs = createInputs(readRaw);
  const workingDirectory = path6.resolve(context.cwd, inputs.read("working-directory"));
  await assertWorkingDirectory(workingDirectory);
  const capacitor = await readCapacitorConfig(workingDirectory);
  const release = resolveReleaseConfig(inputs, context, void 0);
  if (release.mode !== "publish") return resolveModeConfig(inputs, capacitor, workingDirectory, context, release);
  const resolved = await resolveBundle(inputs, capacitor, workingDirectory, context);
  const bundle = release.preview ? {
    ...resolved,
    channel: release.channel,
    version: release.version ?? previewVersion(resolved.version, release.preview.pullRequest, context.runNumber ?? "0")
  } : resolved;
  const dryRun = inputs.bool("dry-run");
  const checkOnly = bundle.privateKeyPem === void 0;
  const { storage, objectKeyTemplate, sampleUrl } = await resolveStorage(inputs, {
    ...bundle,
    workingDirectory,
    dryRun: dryRun || checkOnly
  });
  const registrar = resolveRegistrar(inputs, dryRun || checkOnly);
  if (!dryRun && !checkOnly) assertRegistrarAcceptsUrl(registrar, sampleUrl);
  const git = context.git;
  return {
    workingDirectory,
    bundleCache: inputs.bool("bundle-cache"),
    ...resolveBuild(inputs),
    publish: {
      appId: bundle.appId,
      version: bundle.version,
      channel: bundle.channel,
      webDir: bundle.webDir,
      privateKeyPem: bundle.privateKeyPem ?? "",
      privateKeyField: bundle.privateKeyField,
      checkOnly: checkOnly || void 0,
      publicKeyPem: bundle.publicKeyPem,
      publicKeySource: bundle.publicKeySource,
      requireNotifyAppReady: bundle.requireNotifyAppReady,
      compressionLevel: bundle.compressionLevel,
      delta: inputs.bool("delta"),
      objectKeyTemplate,
      verifyUpload: inputs.bool("verify"),
      dryRun,
      tempDir: context.tempDir,
      link: git?.runUrl,
      comment: git?.sha ? `commit ${git.sha.slice(0, 12)}` : void 0,
      git: git ? { sha: git.sha, ref: git.ref, runUrl: git.runUrl, repository: git.repository } : void 0,
      native: {
        mode: inputs.choice("native-compatibility"),
        workingDirectory,
        nativeVersion: inputs.read("native-version")
      }
    },
    checkOnly: checkOnly ? { reason: checkOnlyReason(context) } : void 0,
    storage,
    registrar,
    report: resolveReport(inputs),
    release,
    secrets: [...new Set(inputs.secrets)]
  };
}
async function resolveModeConfig(inputs, capacitor, workingDirectory, context, release) {
  const appId = resolveAppId(inputs, capacitor, workingDirectory);
  if (release.mode !== "cleanup") resolveChannel(inputs);
  const webDir = path6.join(workingDirectory, ".live-update-no-web-folder");
  const version = release.version ?? "";
  const { storage, objectKeyTemplate } = await resolveStorage(inputs, {
    appId,
    version: version || "0.0.1",
    channel: release.channel,
    webDir,
    workingDirectory,
    dryRun: false
  });
  const registrar = resolveRegistrar(inputs, false);
  return {
    workingDirectory,
    // Nothing is bundled.
    bundleCache: false,
    ...resolveBuild(inputs),
    buildCommand: void 0,
    publish: {
      appId,
      version,
      channel: release.channel,
      webDir,
      privateKeyPem: "",
      requireNotifyAppReady: false,
      objectKeyTemplate,
      verifyUpload: false,
      dryRun: false,
      tempDir: context.tempDir
    },
    storage,
    registrar,
    report: resolveReport(inputs),
    release,
    secrets: [...new Set(inputs.secrets)]
  };
}
function checkOnlyReason(context) {
  const withheld = context.pullRequest?.secretsWithheld;
  if (withheld) return `No private key: this is ${withheld}, which GitHub gives no secrets`;
  return "No private key on this pull request (forks and Dependabot get no secrets; otherwise check the secret given to private-key)";
}

// src/cli/args.ts
var BOOLEAN_WORDS = /* @__PURE__ */ new Set(["true", "false"]);
function parseFlags(argv, flags, command) {
  const byName = /* @__PURE__ */ new Map();
  for (const [name, spec] of Object.entries(flags)) {
    byName.set(name, name);
    for (const alias of spec.aliases ?? []) byName.set(alias, name);
  }
  const values = {};
  const positionals = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "-h" || arg === "--help") {
      help = true;
      continue;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith("--"))
      throw new UsageError(
        `unknown option '${arg}' for '${command}'. Run 'live-update ${command} --help' for its options.`
      );
    const at = arg.indexOf("=");
    const given = arg.slice(2, at === -1 ? void 0 : at);
    const inline = at === -1 ? void 0 : arg.slice(at + 1);
    let name = byName.get(given);
    let negated = false;
    if (!name && given.startsWith("no-") && flags[byName.get(given.slice(3)) ?? ""]?.type === "boolean") {
      name = byName.get(given.slice(3));
      negated = true;
    }
    if (!name) throw unknownFlag(given, [...byName.keys()], command);
    const spec = flags[name];
    if (spec.type === "boolean") {
      let value2 = inline;
      if (value2 === void 0 && i + 1 < argv.length && BOOLEAN_WORDS.has(argv[i + 1].toLowerCase())) value2 = argv[++i];
      let flag;
      try {
        flag = value2 === void 0 ? true : parseBoolean(value2, name);
      } catch {
        throw new UsageError(`--${given} is a switch: give no value, or true/false; got '${value2}'.`);
      }
      values[name] = negated ? !flag : flag;
      continue;
    }
    if (negated) throw unknownFlag(given, [...byName.keys()], command);
    let value = inline;
    if (value === void 0) {
      const next = argv[i + 1];
      if (next === void 0 || next.startsWith("--") && byName.has(next.slice(2).split("=")[0])) {
        throw new UsageError(
          `--${given} needs a value: --${given} ${spec.value ?? "VALUE"} or --${given}=${spec.value ?? "VALUE"}.`
        );
      }
      value = next;
      i++;
    }
    values[name] = value;
  }
  return { values, positionals, help };
}
function unknownFlag(given, known, command) {
  const guess = closest(given, known);
  return new UsageError(
    `unknown option '--${given}' for '${command}'.${guess ? ` Did you mean '--${guess}'?` : ""} Run 'live-update ${command} --help' for its options.`
  );
}
function closest(word, known) {
  let best;
  for (const name of known) {
    const distance = editDistance(word, name);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}
function editDistance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}
function describeFlags(flags) {
  const lines = [];
  for (const [name, spec] of Object.entries(flags)) {
    const head = `  --${name}${spec.type === "string" ? ` ${spec.value ?? "VALUE"}` : ""}`;
    const aliases = spec.aliases?.length ? ` (also ${spec.aliases.map((alias) => `--${alias}`).join(", ")})` : "";
    lines.push(head + aliases);
    lines.push(...wrap(spec.description, 96).map((line) => `      ${line}`));
  }
  return lines.join("\n");
}
function wrap(text, width) {
  const lines = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

// src/cli/help.ts
function renderHelp(help) {
  return [
    `Usage: ${help.usage}`,
    "",
    help.summary,
    "",
    "Options:",
    describeFlags(help.flags),
    "  -h, --help",
    "      Show this help.",
    "",
    "Examples:",
    ...help.examples.map((example) => `  ${example}`),
    ""
  ].join("\n");
}

// src/core/crypto.ts
import { constants as constants2, createCipheriv, createHash, privateEncrypt as privateEncrypt2, randomBytes } from "node:crypto";
import { Transform } from "node:stream";
var CIPHER = "aes-128-cbc";
var AES_KEY_BYTES = 16;
var IV_BYTES = 16;
function rsaPrivateEncrypt(signing, data) {
  return privateEncrypt2({ key: signing.privateKey, padding: constants2.RSA_PKCS1_PADDING }, data);
}
function signSha256(signing, sha256Hex) {
  if (!/^[0-9a-f]{64}$/i.test(sha256Hex)) throw new Error("signSha256 expects a 64-character hex SHA-256");
  return rsaPrivateEncrypt(signing, Buffer.from(sha256Hex, "hex")).toString("hex");
}
function makeSessionKey(signing, aesKey, iv) {
  if (aesKey.length !== AES_KEY_BYTES || iv.length !== IV_BYTES)
    throw new Error("AES-128-CBC needs a 16-byte key and a 16-byte IV");
  return `${iv.toString("base64")}:${rsaPrivateEncrypt(signing, aesKey).toString("base64")}`;
}
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
  const encrypt = (chunk) => {
    zipSize += chunk.length;
    const ciphertext = cipher.update(chunk);
    encryptedSize += ciphertext.length;
    return ciphertext;
  };
  const finish = () => {
    const ciphertext = cipher.final();
    encryptedSize += ciphertext.length;
    return ciphertext;
  };
  const complete = (digests) => {
    result = {
      sha256: digests.sha256,
      checksum: signSha256(signing, digests.sha256),
      sessionKey,
      zipSize,
      encryptedSize,
      encryptedSha256: digests.encryptedSha256
    };
    return result;
  };
  const update = (chunk) => {
    plainHash.update(chunk);
    const ciphertext = encrypt(chunk);
    cipherHash.update(ciphertext);
    return ciphertext;
  };
  const final = () => {
    const ciphertext = finish();
    cipherHash.update(ciphertext);
    complete({ sha256: plainHash.digest("hex"), encryptedSha256: cipherHash.digest("hex") });
    return ciphertext;
  };
  const push = (stream, ciphertext) => {
    if (ciphertext.length > 0) stream.push(ciphertext);
  };
  const transform = new Transform({
    transform(chunk, _encoding, callback) {
      push(this, update(chunk));
      callback();
    },
    flush(callback) {
      push(this, final());
      callback();
    }
  });
  return {
    transform,
    encrypt,
    finish,
    complete,
    sealFile(plain) {
      const fileCipher = createCipheriv(CIPHER, aesKey, iv);
      return Buffer.concat([fileCipher.update(plain), fileCipher.final()]);
    },
    result() {
      if (!result) throw new Error("bundle encryptor: result() called before the stream was flushed");
      return result;
    }
  };
}

// src/core/bundle.ts
import { open, rename, rm as rm2 } from "node:fs/promises";
import { randomBytes as randomBytes4 } from "node:crypto";
import os2 from "node:os";

// src/core/signature.ts
import { constants as constants3, createHash as createHash2, privateEncrypt as privateEncrypt3, publicDecrypt as publicDecrypt2 } from "node:crypto";
var BUNDLE_SIGNATURE_HEADER = "capgo-bundle-v1";
var MANIFEST_SIGNATURE_HEADER = "capgo-manifest-v1";
function compareUtf8(a, b) {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
var SHA256_HEX = /^[0-9a-f]{64}$/i;
var SIGNATURE_HEX = /^[0-9a-f]{512}$/i;
function assertLineSafe(value, what) {
  if (value === "" || /[\r\n]/.test(value)) throw new Error(`${what} must be non-empty and on one line`);
}
function assertSha256(value, what) {
  if (!SHA256_HEX.test(value)) throw new Error(`${what} must be a 64-character hex SHA-256`);
}
function bundleSignaturePayload(version, zipSha256) {
  assertLineSafe(version, "the version");
  assertSha256(zipSha256, "the zip checksum");
  return `${BUNDLE_SIGNATURE_HEADER}
version:${version}
checksum:${zipSha256.toLowerCase()}
`;
}
function manifestSignaturePayload(version, entries) {
  assertLineSafe(version, "the version");
  const sorted = [...entries].sort((a, b) => compareUtf8(a.file_name, b.file_name));
  let payload = `${MANIFEST_SIGNATURE_HEADER}
version:${version}
`;
  for (const entry of sorted) {
    assertLineSafe(entry.file_name, "a manifest file_name");
    assertSha256(entry.sha256, `the hash of ${entry.file_name}`);
    payload += `${entry.file_name}:${entry.sha256.toLowerCase()}
`;
  }
  return payload;
}
function digest(payload) {
  return createHash2("sha256").update(Buffer.from(payload, "utf8")).digest();
}
function signPayload(signing, payload) {
  return privateEncrypt3({ key: signing.privateKey, padding: constants3.RSA_PKCS1_PADDING }, digest(payload)).toString(
    "hex"
  );
}
function signBundleMetadata(signing, version, zipSha256) {
  return signPayload(signing, bundleSignaturePayload(version, zipSha256));
}
function signManifestMetadata(signing, version, entries) {
  return signPayload(signing, manifestSignaturePayload(version, entries));
}
function verifyPayloadSignature(publicKey, payload, signatureHex) {
  if (!SIGNATURE_HEX.test(signatureHex)) return false;
  let recovered;
  try {
    const key = typeof publicKey === "string" ? loadPublicKey(publicKey).key : publicKey;
    recovered = publicDecrypt2({ key, padding: constants3.RSA_PKCS1_PADDING }, Buffer.from(signatureHex, "hex"));
  } catch {
    return false;
  }
  const expected = digest(payload);
  return recovered.length === expected.length && recovered.equals(expected);
}
function verifyBundleSignature(publicKey, version, zipSha256, signatureHex) {
  return verifyPayloadSignature(publicKey, bundleSignaturePayload(version, zipSha256), signatureHex);
}
var manifestSignatureText = manifestSignaturePayload;
var signManifest = signManifestMetadata;

// src/core/zip/scan.ts
import { lstatSync, readdirSync, realpathSync, statSync } from "node:fs";
import { isUtf8 } from "node:buffer";
import path7 from "node:path";

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
var DOS_TIME = 0;
var DOS_DATE = 0 << 9 | 1 << 5 | 1;
var VERSION_NEEDED = 20;
var VERSION_MADE_BY_UNIX = 3 << 8 | 20;
var FILE_ATTRIBUTES = 33188 << 16 >>> 0;
var DIRECTORY_ATTRIBUTES = (16877 << 16 | 16) >>> 0;
var MAX_ENTRIES = 65534;
var MAX_FILE_SIZE = 4294967294;
var MAX_OFFSET = 4294967294;
var MAX_ENTRY_NAME_BYTES = 3072;
var MAX_COMPONENT_BYTES = 255;

// src/core/zip/scan.ts
var JUNK_NAMES = /* @__PURE__ */ new Set([".DS_Store", "Thumbs.db", "desktop.ini", "__MACOSX", ".git", ".svn", ".hg"]);
function zipError(code, message, cause) {
  return new LiveUpdateError(code, message, { stage: "bundle", input: "path", cause });
}
function fsError(error, where) {
  const code = error?.code;
  switch (code) {
    case "EACCES":
    case "EPERM":
      return zipError(
        "bundle_file_permission_denied",
        `Permission denied reading ${where} in the web output. Make it readable by the user running the bundle.`,
        error
      );
    case "ENAMETOOLONG":
      return zipError(
        "bundle_path_too_long",
        `The path ${where} is longer than the file system allows (ENAMETOOLONG; at most 4,096 bytes, 255 per name). Shorten the folder names.`,
        error
      );
    case "ELOOP":
      return zipError("bundle_symlink_loop", `${where} is a symlink loop. Remove it.`, error);
    case "ENOENT":
      return zipError(
        "bundle_file_vanished",
        `${where} disappeared while the web output was being read. Make sure the build has finished before bundling.`,
        error
      );
    default:
      return zipError(
        "bundle_file_unreadable",
        `Could not read ${where} in the web output: ${error.message}`,
        error
      );
  }
}
function guard(where, action) {
  try {
    return action();
  } catch (error) {
    throw fsError(error, where);
  }
}
function showBytes(raw) {
  return [...raw].map(
    (byte) => byte >= 32 && byte < 127 && byte !== 92 ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, "0")}`
  ).join("");
}
function sortByNameBytes(entries) {
  return entries.map((entry) => ({ entry, key: Buffer.from(entry.name) })).sort((a, b) => Buffer.compare(a.key, b.key)).map(({ entry }) => entry);
}
function formatBytes(bytes) {
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB (${bytes.toLocaleString("en-US")} bytes)`;
}
function checkName(name, component) {
  if (component.length > MAX_COMPONENT_BYTES) {
    throw zipError(
      "bundle_name_too_long",
      `The name '${name}' has a part of ${component.length} bytes; phones refuse names over ${MAX_COMPONENT_BYTES} bytes. Rename it.`
    );
  }
  const bytes = Buffer.byteLength(name);
  if (bytes > MAX_ENTRY_NAME_BYTES) {
    throw zipError(
      "bundle_name_too_long",
      `The path '${name.slice(0, 200)}...' is ${bytes} bytes long; a bundle path may be at most ${MAX_ENTRY_NAME_BYTES} bytes (phones extract under PATH_MAX). Shorten it (symlinked folders nest their targets' names).`
    );
  }
}
async function scanWebDir(webDir, options = {}) {
  const absolute = path7.resolve(webDir);
  let rootStat;
  try {
    rootStat = statSync(absolute);
  } catch (error) {
    if (error.code === "ENOENT" || error.code === "ENOTDIR") {
      throw zipError(
        "bundle_folder_missing",
        `The web output folder ${absolute} does not exist. Build the app first, or point 'path' at the folder that holds index.html.`
      );
    }
    throw fsError(error, absolute);
  }
  if (!rootStat.isDirectory()) {
    throw zipError(
      "bundle_folder_not_dir",
      `'path' must be a folder (the web output, e.g. dist or www), but ${absolute} is a file.`
    );
  }
  const root = guard(absolute, () => realpathSync(absolute));
  const entries = [];
  let seen = 0;
  function walk(dirReal, prefix, ancestors) {
    const children = guard(
      prefix ? `'${prefix}'` : absolute,
      () => readdirSync(dirReal, { withFileTypes: true, encoding: "buffer" })
    );
    for (const child of children) {
      const raw = child.name;
      if (!isUtf8(raw)) {
        throw zipError(
          "bundle_name_not_utf8",
          `The name '${prefix}${showBytes(raw)}' in the web output is not valid UTF-8, so no phone can extract it under that name. Rename it.`
        );
      }
      const childName = raw.toString("utf8");
      if (JUNK_NAMES.has(childName)) continue;
      const name = prefix + childName;
      if (childName.includes("\\")) {
        throw zipError(
          "bundle_name_backslash",
          `The file name '${name}' contains a backslash, which Android refuses in a bundle. Rename it.`
        );
      }
      checkName(name, raw);
      const full = dirReal.endsWith(path7.sep) ? dirReal + childName : dirReal + path7.sep + childName;
      let target = full;
      let info = guard(`'${name}'`, () => lstatSync(full));
      if (info.isSymbolicLink()) {
        try {
          target = realpathSync(full);
        } catch (error) {
          const code = error.code;
          if (code === "ENOENT")
            throw zipError(
              "bundle_symlink_broken",
              `The symlink '${name}' in the web output points to nothing. Remove it or fix its target.`
            );
          throw fsError(error, `'${name}'`);
        }
        if (!isInside(root, target)) {
          throw zipError(
            "bundle_symlink_outside",
            `The symlink '${name}' points outside the web output folder (${target}); a bundle may only contain the folder's own files. Copy the file into the folder instead.`
          );
        }
        info = guard(`'${name}'`, () => statSync(target));
      }
      if (info.isDirectory()) {
        if (ancestors.has(target)) {
          throw zipError(
            "bundle_symlink_loop",
            `The symlink '${name}' makes a loop inside the web output folder. Remove it.`
          );
        }
        entries.push({ name: `${name}/`, size: 0, isDirectory: true });
        walk(target, `${name}/`, /* @__PURE__ */ new Set([...ancestors, target]));
      } else if (info.isFile()) {
        if (info.size > MAX_FILE_SIZE) {
          throw zipError(
            "bundle_file_too_large",
            `'${name}' is ${formatBytes(info.size)}; a bundle file must be under 4 GiB (at most ${MAX_FILE_SIZE.toLocaleString("en-US")} bytes: bundles do not use ZIP64, for device compatibility). Leave it out of the web output or split it.`
          );
        }
        entries.push({ name, file: target, size: info.size, isDirectory: false });
        seen += info.size;
        options.onBytes?.(seen);
      }
      if (entries.length > MAX_ENTRIES) throw tooManyEntries(`more than ${MAX_ENTRIES.toLocaleString("en-US")}`);
    }
  }
  walk(root, "", /* @__PURE__ */ new Set([root]));
  const files = entries.filter((entry) => !entry.isDirectory);
  if (files.length === 0) {
    throw zipError(
      "bundle_folder_empty",
      `The web output folder ${absolute} holds no files. Run the web build first (see 'build-command').`
    );
  }
  if (!files.some((entry) => entry.name === "index.html")) {
    const nested = files.find((entry) => entry.name.endsWith("/index.html"));
    const hint = nested ? ` It was found at '${nested.name}': point 'path' at '${path7.join(absolute, path7.posix.dirname(nested.name))}'.` : " Point 'path' at the folder your web build writes (the one with index.html).";
    throw zipError(
      "bundle_index_html_missing",
      `index.html must be at the root of the web output folder ${absolute}.${hint}`
    );
  }
  refuseUnicodeTwins(entries);
  return {
    root,
    entries: sortByNameBytes(entries),
    fileCount: files.length,
    rawSize: files.reduce((sum2, entry) => sum2 + entry.size, 0)
  };
}
function refuseUnicodeTwins(entries) {
  const seen = /* @__PURE__ */ new Map();
  for (const entry of entries) {
    const name = entry.isDirectory ? entry.name.slice(0, -1) : entry.name;
    if (!/[^\x00-\x7f]/.test(name)) continue;
    const normal = name.normalize("NFC");
    const twin = seen.get(normal);
    if (twin !== void 0 && twin !== name) {
      throw zipError(
        "bundle_name_unicode_twin",
        `The names '${twin}' and '${name}' in the web output differ only in Unicode normalization (NFC/NFD): iOS treats them as one name, so one file would overwrite the other on the phone. Rename one of them.`
      );
    }
    seen.set(normal, name);
  }
}
function tooManyEntries(count) {
  return zipError(
    "bundle_entries_too_many",
    `The web output holds ${count} files and folders; a bundle holds at most ${MAX_ENTRIES.toLocaleString("en-US")} (the format's limit without ZIP64, which bundles do not use for device compatibility). Leave out what the app does not load (source maps, for instance).`
  );
}

// src/core/zip/cache.ts
import { randomBytes as randomBytes2 } from "node:crypto";
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync as readdirSync2,
  readFileSync,
  readSync,
  rmSync,
  statSync as statSync2,
  writeFileSync,
  writeSync
} from "node:fs";
import path8 from "node:path";
import zlib from "node:zlib";
var CACHE_FORMAT = 2;
var WRITE_BYTES = 1024 * 1024;
var MAX_CANDIDATES = 3;
var INDEX_LINE = /^([0-9a-f]{64}) (\d{1,15}) (\d{1,10})$/;
function cacheGeneration(dir, level) {
  return path8.join(dir, `v${CACHE_FORMAT}-zlib${process.versions.zlib}-l${level}`);
}
function readCacheIndex(generation) {
  const entries = [];
  for (const name of readdirSafe(generation).filter((file) => file.endsWith(".idx")).sort()) {
    let text;
    try {
      text = readFileSync(path8.join(generation, name), "latin1");
    } catch {
      continue;
    }
    const pack = path8.join(generation, `${name.slice(0, -4)}.pack`);
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
      const plain = zlib.inflateRawSync(stored, {
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
      fd = openSync(entry.pack, "r");
      this.packs.set(entry.pack, fd);
    }
    if (this.scratch.length < entry.length) this.scratch = Buffer.allocUnsafeSlow(entry.length);
    const read = readSync(fd, this.scratch, 0, entry.length, entry.offset);
    if (read !== entry.length) throw new Error("short read");
    return this.scratch.subarray(0, read);
  }
  /** Stores `deflated` for this content; copies it (the caller may free or reuse it afterwards). */
  put(sha256, level, deflated) {
    let writer = this.writers.get(level);
    if (!writer) {
      const generation = cacheGeneration(this.dir, level);
      const id = `${Date.now().toString(36)}-${randomBytes2(6).toString("hex")}`;
      writer = {
        pack: path8.join(generation, `${id}.pack`),
        idx: path8.join(generation, `${id}.idx`),
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
      mkdirSync(path8.dirname(writer.pack), { recursive: true });
      appendFileSync(writer.pack, data);
      appendFileSync(writer.idx, lines);
    } catch {
    }
  }
  /** Writes what is buffered and closes the packs read. */
  flush() {
    for (const writer of this.writers.values()) this.flushWriter(writer);
    for (const fd of this.packs.values()) closeSync(fd);
    this.packs.clear();
  }
};
function pruneDeflateCache(dir, level, keep, entries = readCacheIndex(cacheGeneration(dir, level))) {
  const current = cacheGeneration(dir, level);
  for (const generation of readdirSafe(dir)) {
    if (path8.join(dir, generation) !== current) rmSync(path8.join(dir, generation), { recursive: true, force: true });
  }
  const chosen = /* @__PURE__ */ new Map();
  for (const entry of entries) if (keep.has(entry.sha256)) chosen.set(entry.sha256, entry);
  const old = readdirSafe(current).map((name) => path8.join(current, name));
  const id = `${Date.now().toString(36)}-${randomBytes2(6).toString("hex")}-pruned`;
  const lines = [];
  if (chosen.size > 0) {
    const fds = /* @__PURE__ */ new Map();
    const out = openSync(path8.join(current, `${id}.pack`), "wx");
    let scratch = Buffer.allocUnsafeSlow(1 << 16);
    let offset = 0;
    try {
      for (const entry of chosen.values()) {
        let fd = fds.get(entry.pack);
        if (fd === void 0) fds.set(entry.pack, fd = openSync(entry.pack, "r"));
        if (scratch.length < entry.length) scratch = Buffer.allocUnsafeSlow(entry.length);
        if (readSync(fd, scratch, 0, entry.length, entry.offset) !== entry.length) continue;
        for (let written = 0; written < entry.length; )
          written += writeSync(out, scratch, written, entry.length - written, offset + written);
        lines.push(`${entry.sha256} ${offset} ${entry.length}
`);
        offset += entry.length;
      }
    } finally {
      closeSync(out);
      for (const fd of fds.values()) closeSync(fd);
    }
    if (lines.length > 0) writeFileSync(path8.join(current, `${id}.idx`), lines.join(""));
    else rmSync(path8.join(current, `${id}.pack`), { force: true });
  }
  for (const file of old) rmSync(file, { force: true });
  return { kept: lines.length, removed: new Set(entries.map((entry) => entry.sha256)).size - lines.length };
}
var TRIM_SLACK_BYTES = 64 * 1024 * 1024;
function trimDeflateCache(dir, level, used, options = {}) {
  try {
    const generation = cacheGeneration(dir, level);
    let packBytes = 0;
    for (const name of readdirSafe(generation))
      if (name.endsWith(".pack")) packBytes += statSync2(path8.join(generation, name)).size;
    let usedBytes = 0;
    const counted = /* @__PURE__ */ new Set();
    const entries = readCacheIndex(generation);
    for (const entry of entries) {
      if (used.has(entry.sha256) && !counted.has(entry.sha256)) {
        counted.add(entry.sha256);
        usedBytes += entry.length;
      }
    }
    if (packBytes <= 2 * usedBytes + (options.slackBytes ?? TRIM_SLACK_BYTES)) return { pruned: false };
    pruneDeflateCache(dir, level, used, entries);
    return { pruned: true };
  } catch {
    return { pruned: false };
  }
}
function readdirSafe(dir) {
  try {
    return readdirSync2(dir);
  } catch {
    return [];
  }
}

// src/core/zip/stream-hasher.ts
import { createHash as createHash3 } from "node:crypto";
import { Worker } from "node:worker_threads";
var BUFFER_BYTES = 1024 * 1024;
var MAX_IN_FLIGHT = 8;
function createStreamHasher(options) {
  return options.thread ? new ThreadHasher() : new InlineHasher();
}
var InlineHasher = class {
  plainHash = createHash3("sha256");
  cipherHash = createHash3("sha256");
  reused = Buffer.allocUnsafe(BUFFER_BYTES);
  async buffer() {
    return this.reused;
  }
  plain(buffer, length) {
    this.plainHash.update(buffer.subarray(0, length));
  }
  cipher(ciphertext) {
    this.cipherHash.update(ciphertext);
    freeNow(ciphertext);
  }
  async digests() {
    return { sha256: this.plainHash.digest("hex"), encryptedSha256: this.cipherHash.digest("hex") };
  }
  close() {
  }
};
var ThreadHasher = class {
  worker;
  spares = [];
  inFlight = 0;
  wake;
  result;
  constructor() {
    this.worker = new Worker(workerModule("hash-worker", import.meta.url).url, {
      resourceLimits: { maxYoungGenerationSizeMb: 2 }
    });
    this.worker.unref();
    this.result = new Promise((resolve, reject) => {
      this.worker.on("message", (reply) => {
        if (reply.kind === "spare") {
          this.inFlight--;
          this.spares.push(reply.data);
          this.release();
        } else resolve({ sha256: reply.plain, encryptedSha256: reply.cipher });
      });
      this.worker.once("error", reject);
      this.worker.once("exit", (code) => reject(new Error(`the hashing thread exited (${code})`)));
    });
    this.result.catch(() => this.release());
  }
  async buffer() {
    while (this.spares.length === 0 && this.inFlight >= MAX_IN_FLIGHT) {
      await Promise.race([new Promise((resolve) => this.wake = resolve), this.result]);
    }
    const spare = this.spares.pop();
    return spare ? Buffer.from(spare) : Buffer.allocUnsafeSlow(BUFFER_BYTES);
  }
  plain(buffer, length) {
    const data = buffer.buffer;
    this.inFlight++;
    this.worker.postMessage({ kind: "plain", data, length }, [data]);
  }
  cipher(ciphertext) {
    const data = memoryToTransfer(ciphertext);
    this.worker.postMessage({ kind: "cipher", data, length: ciphertext.length }, [data]);
  }
  async digests() {
    this.worker.postMessage({ kind: "end" });
    return this.result;
  }
  close() {
    void this.worker.terminate().catch(() => void 0);
  }
  release() {
    const wake = this.wake;
    this.wake = void 0;
    wake?.();
  }
};

// src/core/zip/writer.ts
import { createReadStream as createReadStream2 } from "node:fs";
import { rm } from "node:fs/promises";
import { randomBytes as randomBytes3 } from "node:crypto";
import os from "node:os";
import path9 from "node:path";
import zlib3 from "node:zlib";

// src/core/zip/headers.ts
function flagsFor(name) {
  for (const byte of name) if (byte > 127) return FLAG_UTF8;
  return 0;
}
function localHeader(entry) {
  const header = Buffer.alloc(LOCAL_HEADER_SIZE + entry.name.length);
  header.writeUInt32LE(LOCAL_SIGNATURE, 0);
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
  entry.name.copy(header, LOCAL_HEADER_SIZE);
  return header;
}
function centralHeader(entry) {
  const header = Buffer.alloc(CENTRAL_HEADER_SIZE + entry.name.length);
  header.writeUInt32LE(CENTRAL_SIGNATURE, 0);
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
  entry.name.copy(header, CENTRAL_HEADER_SIZE);
  return header;
}
function endOfCentralDirectory(entryCount, centralSize, centralOffset) {
  const record = Buffer.alloc(EOCD_SIZE);
  record.writeUInt32LE(EOCD_SIGNATURE, 0);
  record.writeUInt16LE(entryCount, 8);
  record.writeUInt16LE(entryCount, 10);
  record.writeUInt32LE(centralSize, 12);
  record.writeUInt32LE(centralOffset, 16);
  return record;
}

// src/core/zip/prepare-large.ts
import { createHash as createHash4 } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { stat as stat2 } from "node:fs/promises";
import { Transform as Transform2, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib2 from "node:zlib";
var NeedleSearch = class {
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
async function prepareLargeFile(task, spill) {
  let crc = 0;
  let size = 0;
  const hash = createHash4("sha256");
  const needle = new NeedleSearch();
  const observe = new Transform2({
    transform(chunk, _encoding, callback) {
      crc = zlib2.crc32(chunk, crc);
      hash.update(chunk);
      size += chunk.length;
      if (size > MAX_FILE_SIZE) return callback(new FileChangedError(task.file));
      if (task.scanScript) needle.push(chunk);
      callback(null, chunk);
    }
  });
  const source = createReadStream(task.file, { highWaterMark: 1 << 20 });
  const done = (deflated, compressedSize2) => {
    if (size !== task.size) throw new FileChangedError(task.file);
    const data = deflated ? { file: spill, spill: true } : { file: task.file, spill: false };
    return {
      crc,
      sha256: hash.digest("hex"),
      size,
      deflated,
      data,
      compressedSize: compressedSize2,
      mentionsNotifyAppReady: needle.found,
      cached: false
    };
  };
  if (!task.deflate) {
    await pipeline(source, observe, new Writable({ write: (_chunk, _encoding, callback) => callback() }));
    return done(false, size);
  }
  await pipeline(source, observe, zlib2.createDeflateRaw({ level: task.level }), createWriteStream(spill));
  const compressedSize = (await stat2(spill)).size;
  return compressedSize < size ? done(true, compressedSize) : done(false, size);
}

// src/core/zip/write-order.ts
function writeOrder(entries) {
  const folders = [];
  const deflated = [];
  const stored = [];
  for (const entry of entries) {
    if (entry.isDirectory) folders.push(entry);
    else if (shouldDeflate(entry.name)) deflated.push(entry);
    else stored.push(entry);
  }
  const deflatedBytes = Math.max(1, sum(deflated));
  const storedBytes = Math.max(1, sum(stored));
  const order = folders;
  let d = 0;
  let s = 0;
  let deflatedSoFar = 0;
  let storedSoFar = 0;
  while (d < deflated.length || s < stored.length) {
    if (s === stored.length || d < deflated.length && deflatedSoFar * storedBytes <= storedSoFar * deflatedBytes) {
      deflatedSoFar += deflated[d].size;
      order.push(deflated[d++]);
    } else {
      storedSoFar += stored[s].size;
      order.push(stored[s++]);
    }
  }
  return order;
}
function sum(entries) {
  let total = 0;
  for (const entry of entries) total += entry.size;
  return total;
}

// src/core/zip/writer.ts
var COALESCE_BYTES = 1024 * 1024;
function zipError2(code, message, cause) {
  return new LiveUpdateError(code, message, { stage: "bundle", input: "path", cause });
}
function changedError(name) {
  return zipError2(
    "bundle_file_changed",
    `'${name}' changed while the bundle was being written. Make sure the build has finished before bundling or publishing.`
  );
}
function readError(name, error) {
  if (error instanceof LiveUpdateError) return error;
  if (error instanceof FileChangedError) return changedError(name);
  const code = error?.code;
  if (code === "EACCES" || code === "EPERM") {
    return zipError2(
      "bundle_file_permission_denied",
      `Could not read '${name}' from the web output: permission denied. Make it readable by the user running the bundle.`,
      error
    );
  }
  return zipError2(
    "bundle_file_unreadable",
    `Could not read '${name}' from the web output: ${error.message}`,
    error
  );
}
function zipPieces(folder, options = {}) {
  return writeZip(folder, settingsOf(folder, options, true));
}
function settingsOf(folder, options, recycle) {
  return {
    level: options.level ?? 6,
    tempDir: options.tempDir ?? os.tmpdir(),
    lookahead: options.lookahead ?? 512,
    lookaheadBytes: options.lookaheadBytes ?? 16 * 1024 * 1024,
    workers: options.pool ? 0 : options.workers ?? defaultWorkers(folder),
    cacheDir: options.cacheDir,
    pool: options.pool,
    recycle
  };
}
var WORKERS_FROM_BYTES = 2 * 1024 * 1024;
function defaultWorkers(folder) {
  const cores = os.availableParallelism();
  return cores > 1 && folder.rawSize > WORKERS_FROM_BYTES ? cores : 0;
}
function deflateWorkersOnDemand(options = {}) {
  const cores = os.availableParallelism();
  let pool;
  const start = () => {
    if (!pool && cores > 1)
      pool = adoptEarlyDeflateWorkers(options.cacheDir) ?? new DeflatePool(cores, { cacheDir: options.cacheDir });
    return pool;
  };
  return {
    sawBytes: (total) => void (total > WORKERS_FROM_BYTES && start()),
    use: (folder) => folder.rawSize > WORKERS_FROM_BYTES ? start() : void 0,
    close: async () => pool?.close()
  };
}
var Preparer = class {
  pool;
  ownsPool;
  reader = new FileReader();
  cache;
  settings;
  /** One script calling notifyAppReady is all the check needs: later scripts are not searched. */
  sawNotifyAppReady = false;
  constructor(settings) {
    this.settings = settings;
    this.pool = settings.pool ?? (settings.workers > 0 ? new DeflatePool(settings.workers, { cacheDir: settings.cacheDir }) : void 0);
    this.ownsPool = !settings.pool;
    if (!this.pool && settings.cacheDir) this.cache = new FolderDeflateCache(settings.cacheDir);
  }
  async prepare(entry) {
    if (entry.isDirectory || !entry.file) {
      return {
        source: entry,
        method: METHOD_STORED,
        crc: 0,
        sha256: "",
        size: 0,
        compressedSize: 0,
        data: Buffer.alloc(0),
        mentionsNotifyAppReady: false
      };
    }
    const task = {
      file: entry.file,
      size: entry.size,
      deflate: shouldDeflate(entry.name),
      scanScript: !this.sawNotifyAppReady && isScript(entry.name),
      level: this.settings.level
    };
    if (entry.size > SMALL_FILE_LIMIT) {
      const spill = path9.join(this.settings.tempDir, `live-update-spill-${randomBytes3(8).toString("hex")}`);
      const large = await prepareLargeFile(task, spill).catch(async (error) => {
        await rm(spill, { force: true });
        throw error;
      });
      if (!large.deflated && task.deflate) await rm(spill, { force: true });
      this.sawNotifyAppReady ||= large.mentionsNotifyAppReady;
      return { source: entry, method: large.deflated ? METHOD_DEFLATED : METHOD_STORED, ...large };
    }
    let prepared;
    if (this.pool) prepared = await this.pool.run(task);
    else {
      prepared = prepareFile(task, this.reader, this.cache);
      if (!prepared.deflated || prepared.cached) prepared = { ...prepared, data: Buffer.from(prepared.data) };
    }
    this.sawNotifyAppReady ||= prepared.mentionsNotifyAppReady;
    return {
      source: entry,
      method: prepared.deflated ? METHOD_DEFLATED : METHOD_STORED,
      compressedSize: prepared.data.length,
      ...prepared
    };
  }
  cacheCounts() {
    if (!this.settings.cacheDir) return void 0;
    return this.pool ? { ...this.pool.cacheCounts } : { ...this.cache.counts };
  }
  async close() {
    if (this.ownsPool) await this.pool?.close();
    this.cache?.flush();
  }
};
function releaseEntry(entry) {
  if (!Buffer.isBuffer(entry.data) && entry.data.spill) return rm(entry.data.file, { force: true });
  return void 0;
}
async function* streamData(entry, data) {
  let streamed = 0;
  let crc = 0;
  for await (const chunk of createReadStream2(data.file, { highWaterMark: 1 << 20 })) {
    streamed += chunk.length;
    if (streamed > entry.compressedSize) throw changedError(entry.source.name);
    if (!data.spill) crc = zlib3.crc32(chunk, crc);
    yield chunk;
  }
  if (streamed !== entry.compressedSize || !data.spill && crc !== entry.crc) throw changedError(entry.source.name);
}
async function* writeZip(folder, settings) {
  const preparer = new Preparer(settings);
  const entries = writeOrder(folder.entries);
  const pending = [];
  let next = 0;
  let costAhead = 0;
  const fill = () => {
    while (next < entries.length && pending.length < settings.lookahead) {
      const entry = entries[next];
      const cost = Math.min(entry.size, SMALL_FILE_LIMIT);
      if (pending.length > 0 && costAhead + cost > settings.lookaheadBytes) break;
      const prepared = preparer.prepare(entry);
      prepared.catch(() => void 0);
      pending.push({ entry, prepared, cost });
      costAhead += cost;
      next++;
    }
  };
  const records = [];
  const nameOrder = new Map(folder.entries.map((entry, index) => [entry, index]));
  const filesByName = new Array(folder.entries.length);
  let offset = 0;
  let mentionsNotifyAppReady = false;
  try {
    fill();
    while (pending.length > 0) {
      const head = pending.shift();
      costAhead -= head.cost;
      const prepared = await head.prepared.catch((error) => {
        throw readError(head.entry.name, error);
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
        if (offset + LOCAL_HEADER_SIZE + record.name.length + record.compressedSize > MAX_OFFSET) throw tooLarge();
        mentionsNotifyAppReady ||= prepared.mentionsNotifyAppReady;
        const header = localHeader(record);
        yield header;
        offset += header.length;
        if (Buffer.isBuffer(prepared.data)) {
          if (prepared.data.length > 0) yield prepared.data;
        } else {
          yield* streamData(prepared, prepared.data);
        }
        offset += record.compressedSize;
        records.push(record);
        if (!prepared.source.isDirectory)
          filesByName[nameOrder.get(head.entry)] = {
            name: prepared.source.name,
            size: prepared.size,
            sha256: prepared.sha256
          };
      } finally {
        if (settings.recycle) prepared.release?.();
        const released = releaseEntry(prepared);
        if (released) await released;
      }
    }
  } finally {
    for (const item of pending) void item.prepared.then(releaseEntry, () => void 0);
    await preparer.close();
  }
  const centralOffset = offset;
  for (const record of records) {
    const header = centralHeader(record);
    offset += header.length;
    if (offset + EOCD_SIZE > MAX_OFFSET) throw tooLarge();
    yield header;
  }
  yield endOfCentralDirectory(records.length, offset - centralOffset, centralOffset);
  offset += EOCD_SIZE;
  const files = filesByName.filter((file) => file !== void 0);
  return { zipSize: offset, entryCount: records.length, files, mentionsNotifyAppReady, cache: preparer.cacheCounts() };
}
function tooLarge() {
  return zipError2(
    "bundle_zip_too_large",
    "The bundle would be 4 GiB or larger, which needs ZIP64; devices are not tested with ZIP64. Make the web output smaller."
  );
}

// src/core/young-generation.ts
import v8 from "node:v8";
var YOUNG_GENERATION_BYTES = 16 * 1024 * 1024;
var held = false;
function holdYoungGeneration(limit = YOUNG_GENERATION_BYTES) {
  if (held) return;
  const newSpace = v8.getHeapSpaceStatistics().find((space) => space.space_name === "new_space");
  if (!newSpace || newSpace.space_size < limit) return;
  v8.setFlagsFromString("--semi-space-growth-factor=1");
  held = true;
}

// src/core/bundle.ts
var LARGEST_FILES = 10;
async function createBundle(options) {
  const version = assertSemver(options.version);
  const workers = deflateWorkersOnDemand({ cacheDir: options.cacheDir });
  const partial = `${options.outFile}.partial-${randomBytes4(4).toString("hex")}`;
  trackPath(partial);
  let trimFor;
  try {
    const folder = await scanWebDir(options.webDir, { onBytes: workers.sawBytes });
    const pool = workers.use(folder);
    const pieces = zipPieces(folder, {
      tempDir: options.tempDir,
      level: options.compressionLevel,
      cacheDir: options.cacheDir,
      pool,
      workers: pool ? void 0 : 0
    });
    const encryptor = options.encryptor ?? createBundleEncryptor(options.signing);
    const hasher = createStreamHasher({ thread: pool !== void 0 && mainThreadBound(folder) });
    const summary = await writeEncrypted(pieces, encryptor, hasher, partial, options.signal);
    if (options.requireNotifyAppReady && !summary.mentionsNotifyAppReady) {
      throw new LiveUpdateError(
        "bundle_notify_app_ready_missing",
        "No .js file in the web output calls notifyAppReady(). Without CapacitorUpdater.notifyAppReady() the plugin rolls every update back. Call it when your app starts, or opt out with 'require-notify-app-ready: false' (CLI: --no-notify-check).",
        { stage: "bundle", input: "path" }
      );
    }
    const crypto = encryptor.result();
    await rename(partial, options.outFile);
    if (options.cacheDir) trimFor = new Set(summary.files.map((file) => file.sha256));
    return {
      version,
      sha256: crypto.sha256,
      checksum: crypto.checksum,
      signature: signBundleMetadata(options.signing, version, crypto.sha256),
      sessionKey: crypto.sessionKey,
      keyId: options.signing.keyId,
      fileCount: folder.fileCount,
      rawSize: folder.rawSize,
      zipSize: crypto.zipSize,
      encryptedSize: crypto.encryptedSize,
      encryptedSha256: crypto.encryptedSha256,
      largestFiles: largestFiles(folder.entries),
      files: summary.files,
      ...summary.cache ? { cache: summary.cache } : {}
    };
  } catch (error) {
    await rm2(partial, { force: true });
    throw error;
  } finally {
    untrackPath(partial);
    await workers.close();
    if (trimFor && options.cacheDir) trimDeflateCache(options.cacheDir, options.compressionLevel ?? 6, trimFor);
  }
}
async function writeEncrypted(pieces, encryptor, hasher, file, signal) {
  let handle;
  let finished = false;
  try {
    handle = await open(file, "wx");
    const output = handle;
    let chunk = await hasher.buffer();
    let filled = 0;
    const write = async (ciphertext) => {
      for (let written = 0; written < ciphertext.length; )
        written += (await output.write(ciphertext, written, ciphertext.length - written)).bytesWritten;
      hasher.cipher(ciphertext);
    };
    const flush = async () => {
      if (filled === 0) return;
      const ciphertext = encryptor.encrypt(chunk.subarray(0, filled));
      hasher.plain(chunk, filled);
      filled = 0;
      chunk = await hasher.buffer();
      await write(ciphertext);
      holdYoungGeneration();
    };
    for (; ; ) {
      signal?.throwIfAborted();
      const next = await pieces.next();
      if (next.done) {
        finished = true;
        await flush();
        await write(encryptor.finish());
        encryptor.complete(await hasher.digests());
        return next.value;
      }
      const piece = next.value;
      for (let start = 0; start < piece.length; ) {
        const copied = piece.copy(chunk, filled, start);
        filled += copied;
        start += copied;
        if (filled === chunk.length) await flush();
      }
    }
  } finally {
    if (!finished) await pieces.return(void 0).catch(() => void 0);
    hasher.close();
    await handle?.close();
  }
}
function mainThreadBound(folder) {
  let stored = 0;
  let compressible = 0;
  for (const entry of folder.entries) {
    if (entry.isDirectory) continue;
    if (shouldDeflate(entry.name)) compressible += entry.size;
    else stored += entry.size;
  }
  const mainNs = (stored + compressible / 3) * 6;
  const workersNs = compressible * 17 / os2.availableParallelism();
  return mainNs > 0.8 * workersNs;
}
function largestFiles(entries) {
  return entries.filter((entry) => !entry.isDirectory).sort((a, b) => b.size - a.size || a.name.localeCompare(b.name)).slice(0, LARGEST_FILES).map((entry) => ({ path: entry.name, size: entry.size }));
}

// src/core/verify.ts
import { constants as constants4, createDecipheriv, createHash as createHash5, publicDecrypt as publicDecrypt3, randomBytes as randomBytes5 } from "node:crypto";
import { rm as rm3 } from "node:fs/promises";
import os3 from "node:os";
import path11 from "node:path";

// src/core/verify-download.ts
import { createReadStream as createReadStream3 } from "node:fs";
import { stat as stat3 } from "node:fs/promises";
import { Readable } from "node:stream";
var DownloadFailure = class extends Error {
};
var HARD_CAP_BYTES = 2 ** 32 + 16;
var MAX_REDIRECTS = 20;
function isUrl(source) {
  return /^https?:\/\//i.test(source);
}
function describeSource(source) {
  if (typeof source !== "string") return "the bundle stream";
  return isUrl(source) ? safeUrl(source) : source;
}
function scrubUrls(text) {
  return text.replace(/https?:\/\/[^\s'"<>]+/gi, (url) => safeUrl(url));
}
function describeFetchError(error) {
  const parts = [];
  let current = error;
  for (let depth = 0; current !== void 0 && depth < 4; depth++) {
    const text = describeError(current);
    const code = current.code;
    const piece = typeof code === "string" && !text.includes(code) ? `${text} (${code})` : text;
    if (!parts.includes(piece)) parts.push(piece);
    current = current.cause;
  }
  return scrubUrls(parts.join(": "));
}
function formatBytes2(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
function seconds(ms) {
  return `${(ms / 1e3).toFixed(ms < 1e4 ? 1 : 0)} s`;
}
var DownloadGuard = class {
  constructor(limits) {
    this.limits = limits;
    this.graceMs = limits.graceMs ?? 6e4;
    this.rate = limits.minBytesPerSecond ?? 512 * 1024;
    this.idleMs = limits.idleTimeoutMs ?? 6e4;
    if (limits.maxBytes !== void 0) this.setLimit(limits.maxBytes, `the ${formatBytes2(limits.maxBytes)} cap`);
    if (limits.expectedSize !== void 0) this.setLimit(limits.expectedSize, "the uploaded size");
    this.ticker = setInterval(() => this.check(), Math.max(20, Math.min(1e3, this.idleMs / 4, this.graceMs / 4)));
    this.ticker.unref();
  }
  limits;
  controller = new AbortController();
  received = 0;
  limit = HARD_CAP_BYTES;
  limitReason = `the ${formatBytes2(HARD_CAP_BYTES)} cap: no bundle is bigger`;
  started = Date.now();
  lastData = Date.now();
  graceMs;
  rate;
  idleMs;
  ticker;
  knownSize;
  failure;
  /** Narrow the limit (never widen it past what is already known). */
  setLimit(bytes, reason) {
    if (bytes > this.limit) return;
    this.limit = bytes;
    this.limitReason = reason;
    this.knownSize = bytes;
  }
  get expectedSize() {
    return this.limits.expectedSize;
  }
  get aborted() {
    return this.failure;
  }
  /** Count `length` more bytes; throws (and aborts the fetch) once more than the limit arrived. */
  take(length) {
    this.received += length;
    this.lastData = Date.now();
    if (this.received > this.limit) {
      throw this.fail(
        `more than ${this.limit} bytes arrived (the limit is ${this.limitReason}); the download was stopped at ${this.received} bytes`
      );
    }
  }
  stop() {
    clearInterval(this.ticker);
  }
  fail(message) {
    if (!this.failure) {
      this.failure = new DownloadFailure(message);
      this.stop();
      this.controller.abort(this.failure);
    }
    return this.failure;
  }
  deadlineFor(bytes) {
    return this.graceMs + bytes / this.rate * 1e3;
  }
  rule() {
    return `${seconds(this.graceMs)} + 1 s per ${formatBytes2(this.rate)}`;
  }
  /** Known size: one fixed deadline. Unknown: the deadline grows with what has arrived. */
  check() {
    const now = Date.now();
    const elapsed = now - this.started;
    if (now - this.lastData > this.idleMs) {
      this.fail(`no data for ${this.idleMs / 1e3} s (after ${this.received} bytes)`);
    } else if (this.knownSize !== void 0 && elapsed > this.deadlineFor(this.knownSize)) {
      this.fail(
        `the download of ${formatBytes2(this.knownSize)} did not finish within its deadline of ${seconds(this.deadlineFor(this.knownSize))} (${this.rule()}); ${this.received} bytes arrived in ${seconds(elapsed)}`
      );
    } else if (this.knownSize === void 0 && elapsed > this.deadlineFor(this.received)) {
      this.fail(
        `the download is slower than the minimum rate: ${this.received} bytes in ${seconds(elapsed)} (allowed: ${this.rule()})`
      );
    }
  }
};
async function openSource(source, fetchImpl, guard2) {
  if (typeof source !== "string") return { stream: source };
  if (!isUrl(source)) {
    const info = await stat3(source).catch((error) => {
      throw new DownloadFailure(`reading ${source} failed: ${describeError(error)}`);
    });
    if (info.isFile()) guard2.setLimit(info.size, "the file size");
    return { stream: createReadStream3(source, { highWaterMark: 1 << 20 }) };
  }
  const doFetch = fetchImpl ?? globalThis.fetch;
  let url = source;
  for (let hop = 0; ; hop++) {
    let response;
    try {
      response = await doFetch(url, { signal: guard2.controller.signal, redirect: "manual" });
    } catch (error) {
      throw guard2.aborted ?? new DownloadFailure(`GET ${safeUrl(url)} failed: ${describeFetchError(error)}`);
    }
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel().catch(() => void 0);
      const next = new URL(location, url).toString();
      if (url.toLowerCase().startsWith("https:") && !next.toLowerCase().startsWith("https:")) {
        throw new DownloadFailure(
          `GET ${safeUrl(url)} redirected from https to ${safeUrl(next)}; devices refuse an https\u2192http redirect (the plugin's httpsOnly gate): serve the bundle over https all the way`
        );
      }
      if (hop >= MAX_REDIRECTS)
        throw new DownloadFailure(
          `GET ${safeUrl(source)} was redirected more than ${MAX_REDIRECTS} times (last to ${safeUrl(next)}): a redirect loop?`
        );
      url = next;
      continue;
    }
    const where = url === source ? `GET ${safeUrl(url)}` : `GET ${safeUrl(source)} (redirected to ${safeUrl(url)})`;
    if (!response.ok) {
      await response.body?.cancel().catch(() => void 0);
      throw new DownloadFailure(
        `${where} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`
      );
    }
    if (!response.body) throw new DownloadFailure(`${where} returned no body`);
    const length = Number(response.headers.get("content-length") ?? Number.NaN);
    if (Number.isSafeInteger(length) && length >= 0 && !response.headers.get("content-encoding")) {
      const expected = guard2.expectedSize;
      if (expected !== void 0 && length > expected) {
        await response.body.cancel().catch(() => void 0);
        throw new DownloadFailure(
          `${where} announces ${length} bytes (Content-Length), but ${expected} were uploaded: a different object, or an error page`
        );
      }
      guard2.setLimit(length, "the Content-Length the server announced");
    }
    const stream = Readable.fromWeb(response.body);
    return { stream, contentType: response.headers.get("content-type") ?? void 0 };
  }
}

// src/core/zip/entry-check.ts
import {
  crc32,
  createInflateRaw,
  inflateRaw as zlibInflateRaw,
  inflateRawSync as zlibInflateRawSync
} from "node:zlib";
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

// src/core/zip/walk-client.ts
import { existsSync as existsSync2 } from "node:fs";
import { Worker as Worker2 } from "node:worker_threads";

// src/core/zip/reader.ts
import { open as open2 } from "node:fs/promises";
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
  const handle = await open2(file, "r");
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
  const handle = await open2(file, "r");
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
    const path12 = parts.join("/");
    const isFolder = name.endsWith("/");
    if (isFolder) folders.add(path12);
    else {
      const earlier = files.get(path12);
      if (earlier !== void 0)
        fail(
          earlier === name ? `entry '${name}' appears twice` : `entries '${earlier}' and '${name}' are the same file on a device ('.' or empty segments)`
        );
      files.set(path12, name);
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
  for (const [path12, name] of files) {
    if (folders.has(path12))
      fail(`entry '${name}' is a file, and also a folder of other entries: no device can install both`);
  }
  if (!files.has("index.html")) {
    const nested = [...files.keys()].find((path12) => path12.endsWith("/index.html"));
    fail(
      `no index.html at the zip root${nested ? ` (found '${nested}': zip the CONTENTS of the web output folder, not the folder)` : ""}`
    );
  }
}
function isSymlink(entry) {
  return entry.madeBy === UNIX_HOST && ((entry.externalAttributes ?? 0) >>> 16 & S_IFMT) === S_IFLNK;
}

// src/core/zip/stream-reader.ts
import { createWriteStream as createWriteStream2 } from "node:fs";
import { once } from "node:events";
import { mkdir } from "node:fs/promises";
import path10 from "node:path";
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
    this.spill = createWriteStream2(await this.spillFile(), { mode: 384 });
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
    return path10.join(dir, "spill.zip");
  };
}

// src/core/zip/walk-client.ts
var MAX_IN_FLIGHT2 = 8 * 1024 * 1024;
var noop = () => void 0;
var BATCH_BYTES = 1024 * 1024;
function workerUrl() {
  const { url, built } = workerModule("walk-worker", import.meta.url);
  if (built) return url;
  return existsSync2(url) && process.features.typescript ? url : void 0;
}
function startZipWalk(spillDir, options = {}) {
  const url = options.inThread ? void 0 : workerUrl();
  return url ? new WorkerWalk(url, spillDir) : new InThreadWalk(spillDir);
}
var WorkerWalk = class {
  worker;
  inFlight = 0;
  batch = [];
  batchBytes = 0;
  wake;
  result;
  constructor(url, spillDir) {
    this.worker = new Worker2(url, {
      workerData: { spillDir },
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 }
    });
    this.worker.unref();
    this.result = new Promise((resolve, reject) => {
      this.worker.on("message", (reply) => {
        if (reply.type === "ack") {
          this.inFlight -= reply.bytes;
          if (this.inFlight <= MAX_IN_FLIGHT2) this.release();
        } else if (reply.type === "done") resolve(reply.entries);
        else reject(reply.zip ? new ZipFormatError(reply.message) : new Error(reply.message));
      });
      this.worker.once("error", reject);
      this.worker.once("exit", (code) => reject(new Error(`the zip walk worker exited (${code})`)));
    });
    this.result.catch(() => this.release());
  }
  async write(chunk) {
    const data = memoryToTransfer(chunk);
    this.inFlight += data.byteLength;
    this.batch.push(data);
    this.batchBytes += data.byteLength;
    if (this.batchBytes >= BATCH_BYTES) this.flush();
    if (this.inFlight > MAX_IN_FLIGHT2)
      await Promise.race([new Promise((resolve) => this.wake = resolve), this.result.then(noop, noop)]);
  }
  flush() {
    if (this.batch.length === 0) return;
    this.worker.postMessage({ type: "chunks", data: this.batch }, this.batch);
    this.batch = [];
    this.batchBytes = 0;
  }
  async end() {
    this.flush();
    this.worker.postMessage({ type: "end" });
    try {
      return await this.result;
    } finally {
      void this.worker.terminate().catch(() => void 0);
    }
  }
  abort() {
    void this.worker.terminate();
  }
  release() {
    const wake = this.wake;
    this.wake = void 0;
    wake?.();
  }
};
var InThreadWalk = class {
  walker;
  failure;
  constructor(spillDir) {
    this.walker = new LocalWalker(spillFileIn(spillDir));
  }
  async write(chunk) {
    if (this.failure !== void 0) return;
    await this.walker.write(chunk).catch((error) => {
      this.failure = error;
      this.walker.abort();
    });
  }
  async end() {
    if (this.failure !== void 0) throw this.failure;
    const { listing } = await this.walker.end();
    checkBundleEntryNames(listing.entries);
    return listing.entries.length;
  }
  abort() {
    this.walker.abort();
  }
};

// src/core/verify.ts
var StepFailure = class extends Error {
  constructor(step, message) {
    super(message);
    this.step = step;
  }
  step;
};
var RSA_BYTES = 256;
var SHA256_BYTES = 32;
var AES_KEY_BYTES2 = 16;
var IV_BYTES2 = 16;
function decodeBase64(text, what) {
  const bytes = Buffer.from(text, "base64");
  if (text === "" || bytes.toString("base64") !== text)
    throw new StepFailure("session-key", `${what} is not valid base64`);
  return bytes;
}
function rsaPublicDecrypt(key, data) {
  try {
    return publicDecrypt3({ key, padding: constants4.RSA_PKCS1_PADDING }, data);
  } catch {
    return void 0;
  }
}
function unwrapSessionKey(sessionKey, publicKeyPem) {
  let publicKey;
  try {
    publicKey = loadPublicKey(publicKeyPem).key;
  } catch (error) {
    throw new StepFailure("session-key", `the public key cannot be used: ${describeError(error)}`);
  }
  const parts = sessionKey.trim().split(":");
  if (parts.length !== 2)
    throw new StepFailure(
      "session-key",
      `session key must be 'base64(iv):base64(wrappedKey)' (found ${parts.length - 1} ':' separators)`
    );
  const iv = decodeBase64(parts[0], "the IV part of the session key");
  if (iv.length !== IV_BYTES2) throw new StepFailure("session-key", `the IV is ${iv.length} bytes, expected ${IV_BYTES2}`);
  const wrapped = decodeBase64(parts[1], "the wrapped-key part of the session key");
  if (wrapped.length !== RSA_BYTES)
    throw new StepFailure("session-key", `the wrapped key is ${wrapped.length} bytes, expected ${RSA_BYTES} (RSA-2048)`);
  const aesKey = rsaPublicDecrypt(publicKey, wrapped);
  if (!aesKey)
    throw new StepFailure(
      "session-key",
      "the wrapped AES key does not decrypt with this public key (wrong key pair, or a corrupted session key)"
    );
  if (aesKey.length !== AES_KEY_BYTES2)
    throw new StepFailure("session-key", `the unwrapped AES key is ${aesKey.length} bytes, expected ${AES_KEY_BYTES2}`);
  return { aesKey, iv, publicKey };
}
function recoverSignedSha256(checksum, publicKey) {
  const hex = checksum.trim();
  if (!/^[0-9a-fA-F]{512}$/.test(hex)) {
    throw new StepFailure(
      "checksum",
      `the checksum must be ${RSA_BYTES * 2} hex characters (a V3 signed checksum), got ${hex.length} characters`
    );
  }
  const recovered = rsaPublicDecrypt(publicKey, Buffer.from(hex, "hex"));
  if (!recovered)
    throw new StepFailure(
      "checksum",
      "the signed checksum does not decrypt with this public key (wrong key pair, or a corrupted checksum)"
    );
  if (recovered.length !== SHA256_BYTES)
    throw new StepFailure(
      "checksum",
      `the signed checksum holds ${recovered.length} bytes, expected a ${SHA256_BYTES}-byte SHA-256`
    );
  return recovered.toString("hex");
}
var DECRYPT_BYTES = 1024 * 1024;
async function decryptDownload(source, aesKey, iv, take, plaintext, freeChunks) {
  const decipher = createDecipheriv("aes-128-cbc", aesKey, iv);
  const decrypt = (piece) => {
    try {
      return piece ? decipher.update(piece) : decipher.final();
    } catch (error) {
      throw new StepFailure(
        "decrypt",
        `AES-128-CBC decryption failed (${describeError(error)}): the file is not this session key's ciphertext, or it is truncated or corrupted`
      );
    }
  };
  const pass = async (out) => {
    if (out.length > 0) await plaintext(out);
  };
  const staged = Buffer.allocUnsafe(DECRYPT_BYTES);
  let filled = 0;
  for await (const chunk of source) {
    take(chunk);
    for (let offset = 0; offset < chunk.length; ) {
      const length = Math.min(DECRYPT_BYTES - filled, chunk.length - offset);
      chunk.copy(staged, filled, offset, offset + length);
      filled += length;
      offset += length;
      if (filled === DECRYPT_BYTES) {
        filled = 0;
        await pass(decrypt(staged));
      }
    }
    if (freeChunks) freeNow(chunk);
  }
  await pass(decrypt(staged.subarray(0, filled)));
  await pass(decrypt(void 0));
}
function sniffer() {
  const kept = [];
  let length = 0;
  return {
    take: (chunk) => {
      if (length >= 256) return;
      kept.push(Buffer.from(chunk.subarray(0, 256 - length)));
      length += Math.min(chunk.length, 256 - length);
    },
    head: () => Buffer.concat(kept)
  };
}
function notABundle(head, contentType, fromUrl) {
  const text = head.toString("latin1").replace(/^\uFEFF/, "").trimStart();
  const looksHtml = /^<(!doctype|html|head|body|\?xml|!--)/i.test(text);
  const looksJson = /^[{[]\s*"/.test(text);
  if (!looksHtml && !looksJson && !/^(text\/|application\/(json|xml))/i.test(contentType ?? "")) return void 0;
  const shown = excerpt(text.replace(/[^\x20-\x7e]/g, " "), 60);
  if (!fromUrl) return `the file holds a page starting '${shown}', not an encrypted bundle`;
  return `the server answered ${contentType ? `'${contentType.split(";")[0]}'` : "a page"} starting '${shown}' instead of the encrypted bundle: an error or login page from a CDN, proxy or bucket (check the URL and that the object is public)`;
}
function checkSize(encryptedSize, expectedSize) {
  if (expectedSize !== void 0 && encryptedSize !== expectedSize) {
    throw new StepFailure(
      "download",
      `got ${encryptedSize} bytes, expected ${expectedSize} (truncated or different upload)`
    );
  }
}
async function checkZipResult(walk) {
  try {
    return await walk.end();
  } catch (error) {
    if (error instanceof ZipFormatError) throw new StepFailure("zip", error.message);
    throw error;
  }
}
async function verifyBundle(options) {
  const spillDir = path11.join(options.tempDir ?? os3.tmpdir(), `live-update-verify-${randomBytes5(6).toString("hex")}`);
  let source;
  let walk;
  if (typeof options.source === "string" && isUrl(options.source)) refuseCredentials(options.source);
  const guard2 = new DownloadGuard(options);
  try {
    const { aesKey, iv, publicKey } = unwrapSessionKey(options.sessionKey, options.publicKeyPem);
    const signed = recoverSignedSha256(options.checksum, publicKey);
    walk = startZipWalk(spillDir);
    let opened;
    try {
      opened = await openSource(options.source, options.fetch, guard2);
    } catch (error) {
      if (error instanceof DownloadFailure) throw new StepFailure("download", error.message);
      throw error;
    }
    source = opened.stream;
    let sourceError;
    source.once("error", (error) => {
      sourceError = error;
    });
    const plainHash = createHash5("sha256");
    const sniff = sniffer();
    const zipWalk = walk;
    const pageInstead = () => notABundle(sniff.head(), opened.contentType, typeof options.source === "string" && isUrl(options.source));
    const take = (chunk) => {
      guard2.take(chunk.length);
      sniff.take(chunk);
    };
    try {
      await decryptDownload(
        source,
        aesKey,
        iv,
        take,
        (chunk) => {
          plainHash.update(chunk);
          return zipWalk.write(chunk);
        },
        typeof options.source === "string"
      );
    } catch (error) {
      const cause = guard2.aborted ?? sourceError;
      if (cause !== void 0)
        throw new StepFailure(
          "download",
          `reading ${describeSource(options.source)} failed: ${scrubUrls(describeError(cause))}`
        );
      checkSize(guard2.received, options.expectedSize);
      const page = pageInstead();
      if (page) throw new StepFailure("download", page);
      throw error;
    } finally {
      guard2.stop();
    }
    checkSize(guard2.received, options.expectedSize);
    const sha256 = plainHash.digest("hex");
    if (signed !== sha256) {
      const page = pageInstead();
      if (page) throw new StepFailure("download", page);
      throw new StepFailure(
        "checksum",
        `the signed checksum is for sha256 ${signed}, but the decrypted zip has sha256 ${sha256} (devices answer checksum_fail)`
      );
    }
    const entries = await checkZipResult(walk);
    return { ok: true, sha256, entries, encryptedSize: guard2.received };
  } catch (error) {
    if (error instanceof StepFailure) return { ok: false, step: error.step, message: error.message };
    throw error;
  } finally {
    guard2.stop();
    walk?.abort();
    source?.destroy();
    await rm3(spillDir, { recursive: true, force: true });
  }
}
function refuseCredentials(source) {
  let url;
  try {
    url = new URL(source);
  } catch {
    throw inputError("source", "input_bundle_url_invalid", `The bundle URL is not a valid URL: '${safeUrl(source)}'.`);
  }
  if (url.username || url.password) {
    throw inputError(
      "source",
      "input_bundle_url_invalid",
      `The bundle URL must not contain credentials (user:password@): devices download without them. Give the public URL of ${safeUrl(source)}.`
    );
  }
}
var VERIFY_STEP_CODES = {
  download: "verify_download_failed",
  "session-key": "verify_session_key_rejected",
  decrypt: "verify_decrypt_failed",
  checksum: "verify_checksum_rejected",
  zip: "verify_zip_rejected"
};
async function verifyBundleOrThrow(options) {
  const report = await verifyBundle(options);
  if (!report.ok) {
    throw new LiveUpdateError(
      VERIFY_STEP_CODES[report.step],
      `A device would reject the bundle from ${describeSource(options.source)} at the ${report.step} step: ${report.message}`,
      {
        stage: "verify",
        step: report.step
      }
    );
  }
  return { sha256: report.sha256, entries: report.entries, encryptedSize: report.encryptedSize };
}

export {
  signSha256,
  createBundleEncryptor,
  loadPrivateKey,
  loadPublicKey,
  assertPublicKeyMatches,
  createKeyPair,
  compareUtf8,
  verifyBundleSignature,
  manifestSignatureText,
  signManifest,
  isInside,
  scanWebDir,
  createBundle,
  readCapacitorConfig,
  writePublicKeyToConfig,
  checkConfigWritable,
  normalizeVersion,
  createInputs,
  assertSignedForDevices,
  assertValidObjectKey,
  renderObjectKey,
  renderPublicUrl,
  deriveS3ObjectUrl,
  resolveConfig,
  parseFlags,
  renderHelp,
  StepFailure,
  unwrapSessionKey,
  recoverSignedSha256,
  verifyBundle,
  verifyBundleOrThrow
};
