#!/usr/bin/env node
import { createRequire as __liveUpdateCreateRequire } from 'node:module';
const require = __liveUpdateCreateRequire(import.meta.url);

// src/core/leftovers.ts
import { rmSync } from "node:fs";
var tracked = /* @__PURE__ */ new Set();
function trackPath(file) {
  tracked.add(file);
}
function untrackPath(file) {
  tracked.delete(file);
}
function removeTrackedPathsSync() {
  for (const file of tracked) {
    try {
      rmSync(file, { recursive: true, force: true });
    } catch {
    }
  }
  tracked.clear();
}

export {
  trackPath,
  untrackPath,
  removeTrackedPathsSync
};
