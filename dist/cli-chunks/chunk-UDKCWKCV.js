#!/usr/bin/env node
import { createRequire as __liveUpdateCreateRequire } from 'node:module';
const require = __liveUpdateCreateRequire(import.meta.url);
import {
  LiveUpdateError
} from "./chunk-JDJCEH7T.js";

// src/core/cancel.ts
var CancelledError = class extends LiveUpdateError {
  constructor(signalName, stage = "input", detail) {
    super("run_cancelled_by_signal", `cancelled (${signalName})${detail ? `: ${detail}` : ""}`, { stage });
    this.signalName = signalName;
    this.name = "CancelledError";
  }
  signalName;
};
function isCancelled(error) {
  return error instanceof CancelledError || error?.code === "run_cancelled_by_signal";
}
function cancellationOf(signal) {
  const reason = signal.reason;
  return reason instanceof CancelledError ? reason : new CancelledError(reason instanceof Error ? reason.message : "aborted");
}
function throwIfCancelled(signal) {
  if (signal?.aborted) throw cancellationOf(signal);
}
function whenCancelled(signal) {
  if (!signal) return void 0;
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(cancellationOf(signal));
    else signal.addEventListener("abort", () => reject(cancellationOf(signal)), { once: true });
  });
}
function cancellableFetch(fetchImpl, signal) {
  if (!signal) return fetchImpl;
  return ((input, init = {}) => {
    throwIfCancelled(signal);
    const signals = init.signal ? [init.signal, signal] : [signal];
    return fetchImpl(input, { ...init, signal: AbortSignal.any(signals) });
  });
}
function cancellableSleep(sleep, signal) {
  if (!signal) return sleep;
  return (ms) => {
    throwIfCancelled(signal);
    const cancelled = whenCancelled(signal);
    cancelled.catch(() => void 0);
    return Promise.race([sleep(ms), cancelled]);
  };
}

export {
  CancelledError,
  isCancelled,
  cancellationOf,
  throwIfCancelled,
  whenCancelled,
  cancellableFetch,
  cancellableSleep
};
