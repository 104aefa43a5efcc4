#!/usr/bin/env node
import { createRequire as __liveUpdateCreateRequire } from 'node:module';
const require = __liveUpdateCreateRequire(import.meta.url);
import {
  CancelledError,
  cancellableFetch,
  cancellableSleep,
  cancellationOf,
  isCancelled,
  throwIfCancelled,
  whenCancelled
} from "./chunk-UDKCWKCV.js";
import "./chunk-JDJCEH7T.js";
import "./chunk-ITKJ3MZF.js";
export {
  CancelledError,
  cancellableFetch,
  cancellableSleep,
  cancellationOf,
  isCancelled,
  throwIfCancelled,
  whenCancelled
};
