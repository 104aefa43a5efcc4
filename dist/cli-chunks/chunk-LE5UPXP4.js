#!/usr/bin/env node
import { createRequire as __liveUpdateCreateRequire } from 'node:module';
const require = __liveUpdateCreateRequire(import.meta.url);
import {
  LiveUpdateError
} from "./chunk-JDJCEH7T.js";

// src/core/records/schema.ts
var SCHEMA_VERSION = 1;
var HISTORY_LIMIT = 20;
var OPERATIONS_LIMIT = 20;
var RECORDS_PREFIX = "live-update";
function releaseRecordKey(objectKey) {
  return `${objectKey}.release.json`;
}
function channelRecordKey(appId, channel) {
  return `${RECORDS_PREFIX}/${appId}/channels/${channel}.json`;
}
function appRecordKey(appId) {
  return `${RECORDS_PREFIX}/${appId}/app.json`;
}
function releaseIndexKey(appId, version) {
  return `${RECORDS_PREFIX}/${appId}/releases/${version}.json`;
}
function releaseIndexPrefix(appId) {
  return `${RECORDS_PREFIX}/${appId}/releases/`;
}
function pointerOf(record, recordKey) {
  const pointer = {
    version: record.version,
    record: recordKey,
    url: record.bundle.url,
    sessionKey: record.bundle.sessionKey,
    checksum: record.bundle.checksum,
    signature: record.bundle.signature,
    keyId: record.bundle.keyId,
    zipSize: record.bundle.zipSize
  };
  if (record.minNativeVersion) pointer.minNativeVersion = record.minNativeVersion;
  if (record.manifest) {
    pointer.manifestUrl = record.manifest.url;
    pointer.manifestSignature = record.manifest.signature;
  }
  return pointer;
}
function emptyChannelRecord(appId, channel, now) {
  return {
    schema: 1,
    appId,
    channel,
    revision: 0,
    updatedAt: now,
    stable: null,
    rollout: null,
    history: [],
    operations: []
  };
}
function invalid(key, why) {
  return new LiveUpdateError(
    "records_record_invalid",
    `The record ${key} in the bucket is not a valid schema-1 record (${why}). Fix or delete it by hand; it was left untouched.`,
    { stage: "records" }
  );
}
var isObject = (value) => typeof value === "object" && value !== null && !Array.isArray(value);
function checkSchema(value, key, appId) {
  if (!isObject(value)) throw invalid(key, "not a JSON object");
  if (value.schema !== SCHEMA_VERSION) {
    throw new LiveUpdateError(
      "records_schema_unsupported",
      `The record ${key} has schema ${JSON.stringify(value.schema)}; this action reads schema ${SCHEMA_VERSION}. A newer action wrote it: upgrade the action.`,
      { stage: "records" }
    );
  }
  if (appId !== void 0 && value.appId !== appId)
    throw invalid(key, `appId is ${JSON.stringify(value.appId)}, expected ${appId}`);
  return value;
}
function checkPointer(value, key, where) {
  if (!isObject(value)) throw invalid(key, `${where} is not an object`);
  for (const field of ["version", "url", "sessionKey", "checksum", "keyId"]) {
    if (typeof value[field] !== "string") throw invalid(key, `${where}.${field} is missing`);
  }
}
function parseChannelRecord(value, key, appId, channel) {
  const record = checkSchema(value, key, appId);
  if (record.channel !== channel)
    throw invalid(key, `channel is ${JSON.stringify(record.channel)}, expected ${channel}`);
  if (typeof record.revision !== "number") throw invalid(key, "revision is missing");
  if (record.stable !== null) checkPointer(record.stable, key, "stable");
  if (record.rollout !== null) {
    if (!isObject(record.rollout) || typeof record.rollout.percentage !== "number")
      throw invalid(key, "rollout is malformed");
    checkPointer(record.rollout.release, key, "rollout.release");
  }
  if (!Array.isArray(record.history)) throw invalid(key, "history is not a list");
  record.history.forEach((entry, index) => checkPointer(entry, key, `history[${index}]`));
  if (!Array.isArray(record.operations)) throw invalid(key, "operations is not a list");
  return record;
}
function parseReleaseRecord(value, key, appId) {
  const record = checkSchema(value, key, appId);
  if (typeof record.version !== "string") throw invalid(key, "version is missing");
  if (!Array.isArray(record.channels)) throw invalid(key, "channels is not a list");
  if (!isObject(record.bundle) || typeof record.bundle.key !== "string" || typeof record.bundle.url !== "string")
    throw invalid(key, "bundle is malformed");
  if (!Array.isArray(record.files)) throw invalid(key, "files is not a list");
  return record;
}
function parseAppRecord(value, key, appId) {
  const record = checkSchema(value, key, appId);
  if (!Array.isArray(record.channels) || typeof record.defaultChannel !== "string")
    throw invalid(key, "channels or defaultChannel is malformed");
  return record;
}
function parseReleaseIndex(value, key, appId) {
  const record = checkSchema(value, key, appId);
  if (typeof record.record !== "string" || typeof record.version !== "string") throw invalid(key, "record is missing");
  return record;
}

export {
  HISTORY_LIMIT,
  OPERATIONS_LIMIT,
  releaseRecordKey,
  channelRecordKey,
  appRecordKey,
  releaseIndexKey,
  releaseIndexPrefix,
  pointerOf,
  emptyChannelRecord,
  parseChannelRecord,
  parseReleaseRecord,
  parseAppRecord,
  parseReleaseIndex
};
