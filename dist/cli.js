#!/usr/bin/env node
import { createRequire as __liveUpdateCreateRequire } from 'node:module';
const require = __liveUpdateCreateRequire(import.meta.url);
import {
  ExitCode,
  LiveUpdateError,
  UsageError,
  assertPublicKeyMatches,
  checkConfigWritable,
  createBundle,
  createKeyPair,
  describeError,
  inputError,
  loadPrivateKey,
  parseLevel,
  readCapacitorConfig,
  verifyBundle,
  writePublicKeyToConfig
} from "./cli-chunks/chunk-LAX6IVQM.js";
import {
  __name
} from "./cli-chunks/chunk-PKSXMDLL.js";

// src/cli/bundle-command.ts
import { stat } from "node:fs/promises";
import path2 from "node:path";
import { parseArgs } from "node:util";

// src/cli/files.ts
import { readFile } from "node:fs/promises";
import path from "node:path";
function required(value, flag) {
  if (value === void 0 || value === "") throw new UsageError(`missing --${flag}. Run 'live-update --help' for usage.`);
  return value;
}
__name(required, "required");
async function readFlagFile(cwd, file, flag) {
  try {
    return await readFile(path.resolve(cwd, file), "utf8");
  } catch {
    throw inputError(flag, "file_not_readable", `Cannot read --${flag} file '${file}'. Check the path.`);
  }
}
__name(readFlagFile, "readFlagFile");

// src/cli/bundle-command.ts
async function bundleCommand(argv, io) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "private-key": { type: "string" },
      "public-key": { type: "string" },
      version: { type: "string" },
      out: { type: "string" },
      json: { type: "boolean", default: false },
      "no-notify-check": { type: "boolean", default: false },
      level: { type: "string", default: "6" }
    },
    strict: true
  });
  if (positionals.length !== 1) throw new UsageError("bundle takes exactly one <webDir>: live-update bundle dist --private-key .capgo_key_v2 --version 1.2.3 --out bundle.zip");
  const signing = loadPrivateKey(await readFlagFile(io.cwd, required(values["private-key"], "private-key"), "private-key"), "private-key");
  if (values["public-key"]) {
    assertPublicKeyMatches(signing, await readFlagFile(io.cwd, values["public-key"], "public-key"), "--public-key");
  } else {
    const capacitor = await readCapacitorConfig(io.cwd);
    if (capacitor.publicKey) assertPublicKeyMatches(signing, capacitor.publicKey, `${path2.basename(capacitor.file ?? "capacitor.config")} plugins.CapacitorUpdater.publicKey`);
  }
  const out = path2.resolve(io.cwd, required(values.out, "out"));
  const webDir = path2.resolve(io.cwd, positionals[0]);
  if (!path2.relative(webDir, out).startsWith("..")) {
    throw inputError("out", "out_inside_web_dir", `--out ${out} is inside the web folder ${webDir}. Write the bundle somewhere else.`);
  }
  await assertOutWritable(out);
  const result = await createBundle({
    webDir,
    version: required(values.version, "version"),
    signing,
    outFile: out,
    requireNotifyAppReady: !values["no-notify-check"],
    compressionLevel: parseLevel(values.level, "level")
  });
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
__name(bundleCommand, "bundleCommand");
async function assertOutWritable(out) {
  const folder = path2.dirname(out);
  if (!(await stat(folder).catch(() => void 0))?.isDirectory()) {
    throw inputError("out", "out_folder_missing", `The folder of --out, ${folder}, does not exist. Create it first or choose another --out path.`);
  }
  if ((await stat(out).catch(() => void 0))?.isDirectory()) {
    throw inputError("out", "out_is_folder", `--out ${out} is a folder. Give the path of the file to write, e.g. ${path2.join(out, "bundle.zip")}.`);
  }
}
__name(assertOutWritable, "assertOutWritable");

// src/cli/key-command.ts
import { access, chmod, mkdir, writeFile } from "node:fs/promises";
import path3 from "node:path";
import { parseArgs as parseArgs2 } from "node:util";
var PRIVATE_KEY_FILE = ".capgo_key_v2";
var PUBLIC_KEY_FILE = ".capgo_key_v2.pub";
async function keyCommand(argv, io) {
  const [sub, ...rest] = argv;
  if (sub !== "create") throw new UsageError(`unknown key command '${sub ?? ""}'. Use 'live-update key create'.`);
  const { values } = parseArgs2({
    args: rest,
    options: { dir: { type: "string", default: "." }, force: { type: "boolean", default: false }, config: { type: "string" } },
    strict: true
  });
  const dir = path3.resolve(io.cwd, values.dir);
  const privateFile = path3.join(dir, PRIVATE_KEY_FILE);
  const publicFile = path3.join(dir, PUBLIC_KEY_FILE);
  if (!values.force) {
    for (const file of [privateFile, publicFile]) {
      if (await access(file).then(() => true, () => false)) {
        throw inputError("force", "key_exists", `${file} already exists. Replacing a key locks out every installed app that holds the old public key; pass --force only if that is what you want.`);
      }
    }
  }
  const config = values.config === void 0 ? void 0 : path3.resolve(io.cwd, values.config);
  if (config) await checkConfigWritable(config);
  const pair = createKeyPair();
  await mkdir(dir, { recursive: true });
  await writeFile(privateFile, pair.privateKeyPem, { mode: 384 });
  await chmod(privateFile, 384);
  await writeFile(publicFile, pair.publicKeyPem, { mode: 420 });
  io.stdout.write(`Wrote ${privateFile} (private: store it as a CI secret, never commit it)
Wrote ${publicFile} (public: goes in the app)
`);
  if (config) {
    await writePublicKeyToConfig(config, pair.publicKeyPem);
    io.stdout.write(`Set plugins.CapacitorUpdater.publicKey in ${config}; run 'npx cap sync' so the native apps get it.
`);
  }
  return 0;
}
__name(keyCommand, "keyCommand");

// src/cli/verify-command.ts
import path4 from "node:path";
import { parseArgs as parseArgs3 } from "node:util";
async function verifyCommand(argv, io) {
  const { values, positionals } = parseArgs3({
    args: argv,
    allowPositionals: true,
    options: {
      "session-key": { type: "string" },
      checksum: { type: "string" },
      "public-key": { type: "string" },
      json: { type: "boolean", default: false }
    },
    strict: true
  });
  if (positionals.length !== 1) throw new UsageError("verify takes exactly one <file-or-url>.");
  const target = positionals[0];
  const source = /^https?:\/\//i.test(target) ? target : path4.resolve(io.cwd, target);
  const report = await verifyBundle({
    source,
    sessionKey: required(values["session-key"], "session-key"),
    checksum: required(values.checksum, "checksum"),
    publicKeyPem: await readFlagFile(io.cwd, required(values["public-key"], "public-key"), "public-key")
  });
  if (values.json) io.stdout.write(`${JSON.stringify(report)}
`);
  if (report.ok) {
    if (!values.json) io.stdout.write(`OK: a device would accept ${target} (${report.entries} entries, sha256 ${report.sha256})
`);
    return ExitCode.ok;
  }
  io.stderr.write(`live-update: verify failed at step '${report.step}': ${report.message}
`);
  return ExitCode.verifyFailed;
}
__name(verifyCommand, "verifyCommand");

// src/cli/main.ts
var USAGE = `Usage: live-update <command> [options]

Commands:
  key create [--dir D] [--force] [--config FILE]
      Write .capgo_key_v2 (private, keep it secret) and .capgo_key_v2.pub (public) in D.
      --config writes the public key into capacitor.config.json (plugins.CapacitorUpdater.publicKey).
  bundle <webDir> --private-key FILE --version SEMVER --out FILE [--public-key FILE] [--json] [--no-notify-check] [--level 1-9]
      Zip, encrypt and sign the web output into FILE. The public key (--public-key, else the
      capacitor.config in the current folder) must be the private key's pair.
  verify <file-or-url> --session-key S --checksum C --public-key FILE [--json]
      Check a bundle exactly as a device would (decrypt, checksum, zip layout).
  publish [--<action-input> VALUE ...]
      The whole pipeline (bundle, upload, verify, register): options are the action's inputs,
      e.g. --path dist --version 1.2.3 --private-key-file .capgo_key_v2 --storage dir --storage-dir out.

Exit codes: 0 ok, 1 unexpected failure, 2 usage, 3 bad input (keys, folder, options),
4 a device would reject the bundle, 5 storage failure, 6 update-server failure.`;
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
        const { publishCommand } = await import("./cli-chunks/publish-command-D3YVJQAM.js");
        return await publishCommand(rest, io);
      }
      case void 0:
      case "-h":
      case "--help":
      case "help":
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
__name(main, "main");
function reportError(error, io) {
  if (error instanceof UsageError || error.code?.startsWith("ERR_PARSE_ARGS")) {
    io.stderr.write(`live-update: ${describeError(error)}
`);
    return ExitCode.usage;
  }
  const cause = error.cause;
  const root = error instanceof LiveUpdateError ? error : cause instanceof LiveUpdateError ? cause : void 0;
  if (root) {
    io.stderr.write(`live-update: error [${root.code}]: ${root.message}
`);
    return root.exitCode;
  }
  io.stderr.write(`live-update: error: ${describeError(error)}
`);
  return ExitCode.failure;
}
__name(reportError, "reportError");

// src/cli.ts
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
