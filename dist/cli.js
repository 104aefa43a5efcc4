#!/usr/bin/env node
import { createRequire as __liveUpdateCreateRequire } from 'node:module';
const require = __liveUpdateCreateRequire(import.meta.url);
import {
  closeEarlyDeflateWorkers,
  startDeflateWorkersEarly
} from "./cli-chunks/chunk-A3MBY7IW.js";
import "./cli-chunks/chunk-ITKJ3MZF.js";

// src/cli.ts
import os from "node:os";
import path from "node:path";
startEarlyWorkersFor(process.argv.slice(2));
var { main } = await import("./cli-chunks/main-4I44HHET.js");
var { cancellationOf } = await import("./cli-chunks/cancel-I4I6W5OC.js");
var { cancelOnSignal } = await import("./cli-chunks/cancel-on-signal-UFKYCAKG.js");
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
var signalExitCode = (name) => 128 + (os.constants.signals[name] ?? 0);
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code !== "EPIPE") throw error;
  });
}
var cancel = cancelOnSignal(
  {
    info: (message) => void process.stderr.write(`${message}
`),
    warn: (message) => void process.stderr.write(`live-update: ${message}
`),
    debug: () => void 0
  },
  { hardStopCode: signalExitCode }
);
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: cancel.signal
});
cancel.dispose();
await closeEarlyDeflateWorkers();
if (cancel.signal.aborted) process.exit(signalExitCode(cancellationOf(cancel.signal).signalName));
function startEarlyWorkersFor(args) {
  if (args[0] !== "bundle" || args.includes("--help") || args.includes("-h")) return;
  let cacheDir;
  for (let i = 1; i < args.length; i++) {
    if (args[i] === "--cache-dir" && i + 1 < args.length) cacheDir = args[i + 1];
    else if (args[i].startsWith("--cache-dir=")) cacheDir = args[i].slice("--cache-dir=".length);
  }
  startDeflateWorkersEarly(cacheDir ? path.resolve(process.cwd(), cacheDir) : void 0);
}
