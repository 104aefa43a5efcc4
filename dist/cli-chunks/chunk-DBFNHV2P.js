#!/usr/bin/env node
import { createRequire as __liveUpdateCreateRequire } from 'node:module';
const require = __liveUpdateCreateRequire(import.meta.url);
import {
  publishFlags
} from "./chunk-VEKAUZXL.js";

// src/cli/publish-help.ts
var PUBLISH_HELP = {
  usage: "live-update publish [options]",
  summary: "The whole pipeline, as the GitHub Action runs it: build (optional), bundle, upload, verify as a device would, register. Secrets can come from the environment instead of flags: LIVE_UPDATE_PRIVATE_KEY, CAPGO_API_KEY, LIVE_UPDATE_WEBHOOK_SECRET, and the standard AWS variables.",
  flags: publishFlags(),
  examples: [
    "live-update publish --private-key .capgo_key_v2 --version 1.2.3 --storage dir --storage-dir /srv/updates --server none",
    'CAPGO_API_KEY=... live-update publish --private-key "$KEY_FILE" --version "$CI_COMMIT_TAG" --s3-bucket my-bucket --public-url "https://updates.example.com/{key}"',
    "live-update publish --dry-run --private-key .capgo_key_v2"
  ]
};

export {
  PUBLISH_HELP
};
