#!/usr/bin/env node
import { createRequire as __liveUpdateCreateRequire } from 'node:module';
const require = __liveUpdateCreateRequire(import.meta.url);
import {
  assertPublicKeyMatches,
  checkConfigWritable,
  createBundle,
  createInputs,
  createKeyPair,
  isInside,
  loadPrivateKey,
  loadPublicKey,
  normalizeVersion,
  parseFlags,
  readCapacitorConfig,
  renderHelp,
  verifyBundle,
  verifyBundleSignature,
  writePublicKeyToConfig
} from "./chunk-TT2LRI3L.js";
import {
  trackPath,
  untrackPath
} from "./chunk-Y4P5ZGNX.js";
import "./chunk-A3MBY7IW.js";
import {
  cancellableFetch,
  throwIfCancelled
} from "./chunk-UDKCWKCV.js";
import {
  looksLikePem,
  readFlagFile,
  renderFields,
  warnKeyOnCommandLine
} from "./chunk-VEKAUZXL.js";
import {
  UsageError,
  parseHttpUrl,
  safeUrl
} from "./chunk-NMXVV454.js";
import {
  ExitCode,
  LiveUpdateError,
  describeError,
  inputError
} from "./chunk-JDJCEH7T.js";
import "./chunk-ITKJ3MZF.js";

// src/cli/main.ts
import { readFileSync } from "node:fs";
import path4 from "node:path";
import { fileURLToPath } from "node:url";

// src/cli/bundle-command.ts
import { mkdtemp, realpath, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

// src/cli/files.ts
function required(value, flag, command) {
  if (typeof value !== "string" || value === "")
    throw new UsageError(`missing --${flag}. Run 'live-update ${command} --help' for usage.`);
  return value;
}

// src/cli/bundle-command.ts
var FLAGS = {
  "private-key": {
    type: "string",
    value: "FILE",
    aliases: ["private-key-file"],
    description: "The private key file (.capgo_key_v2). Or set LIVE_UPDATE_PRIVATE_KEY to its PEM text."
  },
  version: { type: "string", value: "SEMVER", description: "The bundle version (a leading v is dropped)." },
  out: { type: "string", value: "FILE", description: "Where to write the encrypted bundle (outside the web folder)." },
  "public-key": {
    type: "string",
    value: "FILE",
    description: "The app's public key file; default, the capacitor.config in the current folder. It must be the private key's pair."
  },
  level: {
    type: "string",
    value: "1-9",
    aliases: ["compression-level"],
    description: "Deflate level, 1 fastest to 9 smallest. Default: 6 (Capgo's CLI)."
  },
  "no-notify-check": { type: "boolean", description: "Allow a build in which no .js file calls notifyAppReady()." },
  "require-notify-app-ready": { type: "boolean", description: "The opposite of --no-notify-check (default true)." },
  json: { type: "boolean", description: "Print the result as one JSON line." },
  "cache-dir": {
    type: "string",
    value: "DIR",
    description: "Reuse deflated files from earlier runs kept in DIR (checked against each file; the zip is byte-identical either way)."
  }
};
var BUNDLE_HELP = {
  usage: "live-update bundle <webDir> --private-key FILE --version SEMVER --out FILE [options]",
  summary: "Zip, encrypt and sign the web output into FILE, exactly as devices expect (Capgo encryption v2).",
  flags: FLAGS,
  examples: [
    "live-update bundle dist --private-key .capgo_key_v2 --version 1.2.3 --out /tmp/bundle.zip",
    'LIVE_UPDATE_PRIVATE_KEY="$(cat .capgo_key_v2)" live-update bundle dist --version v1.2.3 --out bundle.zip --json'
  ]
};
async function bundleCommand(argv, io) {
  const { values, positionals, help } = parseFlags(argv, FLAGS, "bundle");
  if (help) {
    io.stdout.write(renderHelp(BUNDLE_HELP));
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`bundle takes exactly one <webDir>: ${BUNDLE_HELP.examples[0]}`);
  const inputs = createInputs(
    (name) => name === "compression-level" && typeof values.level === "string" ? values.level : void 0
  );
  const { pem, field } = await privateKeyOf(values["private-key"], io);
  const signing = loadPrivateKey(pem, field);
  if (typeof values["public-key"] === "string") {
    assertPublicKeyMatches(signing, await readFlagFile(io.cwd, values["public-key"], "public-key"), "{{public-key}}");
  } else {
    const capacitor = await readCapacitorConfig(io.cwd);
    if (capacitor.publicKey)
      assertPublicKeyMatches(
        signing,
        capacitor.publicKey,
        `${path.basename(capacitor.file ?? "capacitor.config")} plugins.CapacitorUpdater.publicKey`
      );
  }
  const out = path.resolve(io.cwd, required(values.out, "out", "bundle"));
  const webDir = path.resolve(io.cwd, positionals[0]);
  if (isInside(webDir, out) || isInside(await realOrSelf(webDir), path.join(await realOrSelf(path.dirname(out)), path.basename(out)))) {
    throw inputError(
      "out",
      "input_out_inside_web_dir",
      `{{out}} ${out} is inside the web folder ${webDir}. Write the bundle somewhere else.`
    );
  }
  await assertOutWritable(out);
  const version = normalizeVersion(required(values.version, "version", "bundle"));
  const compressionLevel = inputs.int(
    "compression-level",
    "input_compression_level_invalid",
    " (1 fastest, 9 smallest; 6 matches Capgo's CLI)"
  );
  const requireNotifyAppReady = values["no-notify-check"] === true ? false : values["require-notify-app-ready"] !== false;
  const cacheDir = typeof values["cache-dir"] === "string" ? path.resolve(io.cwd, values["cache-dir"]) : void 0;
  if (cacheDir && (isInside(webDir, cacheDir) || isInside(await realOrSelf(webDir), await realOrSelf(cacheDir)))) {
    throw inputError(
      "cache-dir",
      "input_cache_dir_inside_web_dir",
      `{{cache-dir}} ${cacheDir} is inside the web folder ${webDir}. Keep the cache somewhere else.`
    );
  }
  const spillDir = await mkdtemp(path.join(os.tmpdir(), "live-update-bundle-"));
  trackPath(spillDir);
  let result;
  try {
    result = await createBundle({
      webDir,
      version,
      signing,
      outFile: out,
      requireNotifyAppReady,
      compressionLevel,
      tempDir: spillDir,
      signal: io.signal,
      cacheDir
    });
  } catch (error) {
    throwIfCancelled(io.signal);
    throw error;
  } finally {
    await rm(spillDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    untrackPath(spillDir);
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ ...result, out })}
`);
  } else {
    io.stdout.write(
      [
        `Bundle ${result.version}: ${result.fileCount} files, zip ${result.zipSize} bytes, encrypted ${result.encryptedSize} bytes -> ${out}`,
        `sha256:      ${result.sha256}`,
        `key_id:      ${result.keyId}`,
        `session key: ${result.sessionKey}`,
        `checksum:    ${result.checksum}`,
        ""
      ].join("\n")
    );
  }
  return 0;
}
async function privateKeyOf(flag, io) {
  if (typeof flag === "string" && flag !== "") {
    if (!looksLikePem(flag))
      return { pem: await readFlagFile(io.cwd, flag, "private-key-file"), field: "private-key-file" };
    warnKeyOnCommandLine(io);
    return { pem: flag, field: "private-key" };
  }
  const fromEnv = io.env.LIVE_UPDATE_PRIVATE_KEY;
  if (fromEnv) return { pem: fromEnv, field: "private-key" };
  throw new UsageError(
    "missing --private-key FILE (or LIVE_UPDATE_PRIVATE_KEY). Run 'live-update bundle --help' for usage."
  );
}
async function assertOutWritable(out) {
  const folder = path.dirname(out);
  if (!(await stat(folder).catch(() => void 0))?.isDirectory()) {
    throw inputError(
      "out",
      "input_out_dir_missing",
      `The folder of {{out}}, ${folder}, does not exist. Create it first or choose another {{out}} path.`
    );
  }
  if ((await stat(out).catch(() => void 0))?.isDirectory()) {
    throw inputError(
      "out",
      "input_out_is_folder",
      `{{out}} ${out} is a folder. Give the path of the file to write, e.g. ${path.join(out, "bundle.zip")}.`
    );
  }
}
async function realOrSelf(file) {
  return realpath(file).catch(() => file);
}

// src/cli/key-command.ts
import { access, chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path2 from "node:path";
var PRIVATE_KEY_FILE = ".capgo_key_v2";
var PUBLIC_KEY_FILE = ".capgo_key_v2.pub";
var PRIVATE_KEY_SECRET = "LIVE_UPDATE_PRIVATE_KEY";
var FLAGS2 = {
  dir: {
    type: "string",
    value: "D",
    description: "Folder to write the key files in (default: the current folder, your app project)."
  },
  force: {
    type: "boolean",
    description: "Replace existing key files (installed apps holding the old public key then reject every update)."
  },
  config: {
    type: "string",
    value: "FILE",
    description: "Also write the public key into this capacitor.config.json (plugins.CapacitorUpdater.publicKey)."
  }
};
var KEY_HELP = {
  usage: "live-update key create [--dir D] [--force] [--config FILE]",
  summary: `Write ${PRIVATE_KEY_FILE} (private: a CI secret, never committed; added to .gitignore) and ${PUBLIC_KEY_FILE} (public: goes in the app).`,
  flags: FLAGS2,
  examples: [
    "live-update key create --config capacitor.config.json",
    `gh secret set ${PRIVATE_KEY_SECRET} < ${PRIVATE_KEY_FILE}`
  ]
};
async function keyCommand(argv, io) {
  const [sub, ...rest] = argv;
  if (sub === "--help" || sub === "-h" || sub === "help") {
    io.stdout.write(renderHelp(KEY_HELP));
    return 0;
  }
  if (sub !== "create")
    throw new UsageError(
      `unknown key command '${sub ?? ""}'. Use 'live-update key create' (see 'live-update key create --help').`
    );
  const { values, positionals, help } = parseFlags(rest, FLAGS2, "key create");
  if (help) {
    io.stdout.write(renderHelp(KEY_HELP));
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`key create takes no arguments; unexpected '${positionals[0]}'.`);
  const dir = path2.resolve(io.cwd, typeof values.dir === "string" ? values.dir : ".");
  const privateFile = path2.join(dir, PRIVATE_KEY_FILE);
  const publicFile = path2.join(dir, PUBLIC_KEY_FILE);
  if (values.force !== true) {
    for (const file of [privateFile, publicFile]) {
      if (await access(file).then(
        () => true,
        () => false
      )) {
        throw inputError(
          "force",
          "input_key_file_exists",
          `${file} already exists. Replacing a key locks out every installed app that holds the old public key; pass {{force}} only if that is what you want.`
        );
      }
    }
  }
  const config = typeof values.config === "string" ? path2.resolve(io.cwd, values.config) : void 0;
  if (config) await checkConfigWritable(config);
  if (config && !await access(config).then(
    () => true,
    () => false
  )) {
    throw inputError(
      "config",
      "input_capacitor_config_missing",
      `{{config}} ${config} does not exist. Give the app's capacitor.config file (capacitor.config.json is rewritten; a .ts/.js one gets a snippet to paste).`
    );
  }
  const pair = createKeyPair();
  await mkdir(dir, { recursive: true });
  const ignore = await ignoreInGit(dir);
  await writeFile(privateFile, pair.privateKeyPem, { mode: 384 });
  await chmod(privateFile, 384);
  await writeFile(publicFile, pair.publicKeyPem, { mode: 420 });
  io.stdout.write(
    `Wrote ${privateFile} (private: store it as a CI secret, never commit it)
Wrote ${publicFile} (public: goes in the app)
`
  );
  io.stdout.write(
    ignore === "added" ? `Added ${PRIVATE_KEY_FILE} to ${path2.join(dir, ".gitignore")}
` : `${path2.join(dir, ".gitignore")} already ignores ${PRIVATE_KEY_FILE}
`
  );
  if (config?.endsWith(".json")) {
    await writePublicKeyToConfig(config, pair.publicKeyPem);
    io.stdout.write(
      `Set plugins.CapacitorUpdater.publicKey in ${config}; run 'npx cap sync' so the native apps get it.
`
    );
  } else if (config) {
    io.stdout.write(
      `${config} is code, so it is not rewritten. Add this to its config object (the public key is not secret), then run 'npx cap sync':
  plugins: { CapacitorUpdater: { publicKey: ${JSON.stringify(pair.publicKeyPem)} } }
`
    );
  }
  io.stdout.write(
    `Next: store the private key as the CI secret ${PRIVATE_KEY_SECRET}, e.g.
  gh secret set ${PRIVATE_KEY_SECRET} < ${path2.relative(io.cwd, privateFile) || PRIVATE_KEY_FILE}
`
  );
  return 0;
}
async function ignoreInGit(dir) {
  const file = path2.join(dir, ".gitignore");
  const text = await readFile(file, "utf8").catch(() => "");
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  if (lines.includes(PRIVATE_KEY_FILE) || lines.includes(`/${PRIVATE_KEY_FILE}`)) return "present";
  const separator = text === "" || text.endsWith("\n") ? "" : "\n";
  await writeFile(
    file,
    `${text}${separator}# the live update signing key: a CI secret, never committed
${PRIVATE_KEY_FILE}
`
  );
  return "added";
}

// src/cli/verify-command.ts
import { stat as stat2 } from "node:fs/promises";
import path3 from "node:path";

// src/cli/verify-signature.ts
function checkSignatureFlags(signature, version) {
  if (signature === void 0 !== (version === void 0)) {
    throw new UsageError(
      "--signature and --version go together: the signature covers the version name and the zip checksum."
    );
  }
  return {
    check(report, publicKeyPem) {
      if (!report.ok || signature === void 0 || version === void 0) return report;
      let valid = false;
      try {
        valid = verifyBundleSignature(publicKeyPem, version, report.sha256, signature.trim());
      } catch {
      }
      if (valid) return { ...report, signature: "ok" };
      return {
        ok: false,
        step: "signature",
        message: `the signature does not match version ${version} and zip sha256 ${report.sha256} under this public key (a device with plugin 8.53+ answers signature_fail)`
      };
    }
  };
}

// src/cli/verify-command.ts
var FLAGS3 = {
  "session-key": {
    type: "string",
    value: "S",
    description: "The ivSessionKey printed by bundle/publish (the session-key output)."
  },
  checksum: {
    type: "string",
    value: "C",
    description: "The signed checksum, all 512 hex characters (the checksum output)."
  },
  "public-key": { type: "string", value: "FILE", description: "The app's public key file (.capgo_key_v2.pub)." },
  signature: {
    type: "string",
    value: "HEX",
    description: "Also check the signed metadata (the signature output, 512 hex), as plugin 8.53+ does; needs --version."
  },
  version: { type: "string", value: "V", description: "The bundle version the signature covers (with --signature)." },
  json: { type: "boolean", description: "Print the report as one JSON line." }
};
var VERIFY_HELP = {
  usage: "live-update verify <file-or-url> --session-key S --checksum C --public-key FILE [--signature HEX --version V] [--json]",
  summary: "Check a bundle exactly as a device would: download, unwrap the session key, decrypt, check the signed checksum and the zip layout.",
  flags: FLAGS3,
  examples: [
    'live-update verify bundle.zip --session-key "$SESSION_KEY" --checksum "$CHECKSUM" --public-key .capgo_key_v2.pub',
    "live-update verify https://updates.example.com/com.example.app/1.2.3/ab12.zip --session-key S --checksum C --public-key .capgo_key_v2.pub --json"
  ]
};
async function verifyCommand(argv, io) {
  const { values, positionals, help } = parseFlags(argv, FLAGS3, "verify");
  if (help) {
    io.stdout.write(renderHelp(VERIFY_HELP));
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError(`verify takes exactly one <file-or-url>: ${VERIFY_HELP.examples[0]}`);
  const target = positionals[0];
  const isUrl = /^https?:\/\//i.test(target);
  if (isUrl)
    parseHttpUrl(
      target,
      "file-or-url",
      "input_bundle_url_invalid",
      "https://updates.example.com/com.example.app/1.2.3/ab12.zip"
    );
  const source = isUrl ? target : path3.resolve(io.cwd, target);
  const sessionKey = required(values["session-key"], "session-key", "verify");
  const checksum = required(values.checksum, "checksum", "verify");
  const publicKeyPem = await readFlagFile(io.cwd, required(values["public-key"], "public-key", "verify"), "public-key");
  loadPublicKey(publicKeyPem, "public-key");
  if (!/^[0-9a-f]{512}$/i.test(checksum.trim())) {
    throw inputError(
      "checksum",
      "input_checksum_invalid",
      `{{checksum}} must be the whole 512-character hex signed checksum (the 'checksum' output), got ${checksum.trim().length} characters.`
    );
  }
  if (!isUrl && !await isFile(source)) {
    throw inputError(
      "file-or-url",
      "input_bundle_file_missing",
      `${target} is not a file. Give the path of the encrypted bundle or its URL.`
    );
  }
  const text = (value) => typeof value === "string" ? value : void 0;
  const signed = checkSignatureFlags(text(values.signature), text(values.version));
  const report = signed.check(
    await verifyBundle({
      source,
      sessionKey,
      checksum,
      publicKeyPem,
      fetch: cancellableFetch(globalThis.fetch, io.signal)
    }),
    publicKeyPem
  );
  throwIfCancelled(io.signal);
  if (values.json) io.stdout.write(`${JSON.stringify(report)}
`);
  const shown = isUrl ? safeUrl(target) : target;
  if (report.ok) {
    if (!values.json)
      io.stdout.write(`OK: a device would accept ${shown} (${report.entries} entries, sha256 ${report.sha256})
`);
    return ExitCode.ok;
  }
  io.stderr.write(`live-update: verify failed at step '${report.step}': ${report.message}
`);
  return ExitCode.verifyFailed;
}
async function isFile(file) {
  try {
    return (await stat2(file)).isFile();
  } catch {
    return false;
  }
}

// src/cli/main.ts
var USAGE = `Usage: live-update <command> [options]

Commands:
  key create     Write a signing key pair (.capgo_key_v2, .capgo_key_v2.pub); --config puts the public key in the app.
  bundle         Zip, encrypt and sign a web build into a file.
  verify         Check a bundle (file or URL) exactly as a device would.
  publish        The whole pipeline (build, bundle, upload, verify, register), as the GitHub Action runs it.
  serve          The self-hosted update responder the plugin's updateUrl/statsUrl/channelUrl talk to.

Run 'live-update <command> --help' for a command's options and examples.
  -h, --help     Show this help.     --version     Print the version.

Exit codes: 0 ok, 1 unexpected failure, 2 usage, 3 bad input (keys, folder, options),
4 a device would reject the bundle, 5 storage failure, 6 update-server failure, 7 build command failed
(codes and stages: docs/errors.md).`;
async function main(argv, io) {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "key":
        return await keyCommand(rest, io);
      case "bundle":
        return await bundleCommand(rest, io);
      case "verify":
        return await verifyCommand(rest, io);
      case "publish": {
        const { publishCommand } = await import("./publish-command-MERQAPJY.js");
        return await publishCommand(rest, io);
      }
      case "serve":
        return await (await import("./serve-command-QBJMZJ5T.js")).serveCommand(rest, io);
      case "--version":
      case "-v":
      case "version":
        io.stdout.write(`${packageVersion()}
`);
        return ExitCode.ok;
      case "help":
        return await helpFor(rest[0], io);
      case void 0:
      case "-h":
      case "--help":
        io.stdout.write(`${USAGE}
`);
        return command === void 0 ? ExitCode.usage : ExitCode.ok;
      default:
        throw new UsageError(`unknown command '${command}'. Run 'live-update --help' for the list.`);
    }
  } catch (error) {
    return reportError(error, io);
  }
}
async function helpFor(command, io) {
  const helps = { key: KEY_HELP, bundle: BUNDLE_HELP, verify: VERIFY_HELP };
  if (command === "publish") {
    const { PUBLISH_HELP } = await import("./publish-help-6KB5ZNP7.js");
    io.stdout.write(renderHelp(PUBLISH_HELP));
  } else if (command === "serve") {
    return (await import("./serve-command-QBJMZJ5T.js")).serveCommand(["--help"], io);
  } else if (command && command in helps) {
    io.stdout.write(renderHelp(helps[command]));
  } else {
    io.stdout.write(`${USAGE}
`);
  }
  return ExitCode.ok;
}
function packageVersion() {
  let dir = path4.dirname(fileURLToPath(import.meta.url));
  for (; ; ) {
    try {
      const pkg = JSON.parse(readFileSync(path4.join(dir, "package.json"), "utf8"));
      if (pkg.name === "capacitor-live-update-action" && pkg.version) return pkg.version;
    } catch {
    }
    const parent = path4.dirname(dir);
    if (parent === dir) return "unknown";
    dir = parent;
  }
}
function reportError(error, io) {
  if (error instanceof UsageError || error.code?.startsWith("ERR_PARSE_ARGS")) {
    io.stderr.write(`live-update: ${describeError(error)}
`);
    return ExitCode.usage;
  }
  const cause = error.cause;
  const root = error instanceof LiveUpdateError ? error : cause instanceof LiveUpdateError ? cause : void 0;
  if (root) {
    io.stderr.write(`live-update: error [${root.code}]: ${renderFields(root.message, "cli")}
`);
    return root.exitCode;
  }
  io.stderr.write(`live-update: error: ${describeError(error)}
`);
  return ExitCode.failure;
}
export {
  USAGE,
  main,
  packageVersion,
  reportError
};
