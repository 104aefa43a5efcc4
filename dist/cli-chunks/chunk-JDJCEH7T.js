#!/usr/bin/env node
import { createRequire as __liveUpdateCreateRequire } from 'node:module';
const require = __liveUpdateCreateRequire(import.meta.url);

// src/core/errors.ts
var ExitCode = {
  ok: 0,
  /** A bug or a failure outside every stage. */
  failure: 1,
  usage: 2,
  badInput: 3,
  verifyFailed: 4,
  storage: 5,
  register: 6,
  build: 7
};
var STAGE_EXIT_CODE = {
  input: ExitCode.badInput,
  build: ExitCode.build,
  keys: ExitCode.badInput,
  bundle: ExitCode.badInput,
  lookup: ExitCode.register,
  upload: ExitCode.storage,
  verify: ExitCode.verifyFailed,
  register: ExitCode.register,
  records: ExitCode.storage,
  release: ExitCode.register
};
var LiveUpdateError = class extends Error {
  code;
  stage;
  field;
  /** Same as `field` (older name). */
  input;
  step;
  constructor(code, message, options) {
    super(message, options.cause === void 0 ? void 0 : { cause: options.cause });
    this.name = "LiveUpdateError";
    this.code = code;
    this.stage = options.stage;
    this.field = options.field ?? options.input;
    this.input = this.field;
    this.step = options.step;
  }
  get exitCode() {
    return STAGE_EXIT_CODE[this.stage];
  }
};
function inputError(field, code, message) {
  return new LiveUpdateError(code, message, { stage: "input", field });
}
function describeError(error) {
  if (error instanceof Error) return error.message;
  return String(error);
}
function redact(text, secrets) {
  let out = text;
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join("***");
  return out;
}

export {
  ExitCode,
  STAGE_EXIT_CODE,
  LiveUpdateError,
  inputError,
  describeError,
  redact
};
