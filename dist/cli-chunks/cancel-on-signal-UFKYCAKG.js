#!/usr/bin/env node
import { createRequire as __liveUpdateCreateRequire } from 'node:module';
const require = __liveUpdateCreateRequire(import.meta.url);
import {
  removeTrackedPathsSync
} from "./chunk-Y4P5ZGNX.js";
import {
  CancelledError
} from "./chunk-UDKCWKCV.js";
import "./chunk-JDJCEH7T.js";
import "./chunk-ITKJ3MZF.js";

// src/platform/cancel-on-signal.ts
var BUDGET_MS = { SIGINT: 6500, SIGTERM: 2e3 };
function cancelOnSignal(logger, options = {}) {
  const controller = new AbortController();
  const exit = options.exit ?? ((code) => process.exit(code));
  let deadline = Number.POSITIVE_INFINITY;
  let timer;
  let first = "";
  const onSignal = (name) => {
    if (!controller.signal.aborted) {
      first = name;
      logger.warn(`Received ${name}: cancelling; cleaning up before exit.`);
      controller.abort(new CancelledError(name));
    } else {
      logger.warn(`Received ${name} while cleaning up after the cancel.`);
    }
    const next = Date.now() + (BUDGET_MS[name] ?? 2e3);
    if (next < deadline) {
      deadline = next;
      clearTimeout(timer);
      timer = setTimeout(() => {
        logger.warn(
          "Cleaning up took too long; exiting now (work folders removed). Check the storage for an incomplete upload."
        );
        removeTrackedPathsSync();
        options.onHardStop?.(first);
        exit(options.hardStopCode?.(first) ?? 1);
      }, next - Date.now());
      timer.unref();
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
    }
  };
}
export {
  cancelOnSignal
};
