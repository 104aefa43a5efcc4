#!/usr/bin/env node
import { createRequire as __liveUpdateCreateRequire } from 'node:module';
const require = __liveUpdateCreateRequire(import.meta.url);
import {
  inputError
} from "./chunk-JDJCEH7T.js";

// src/core/url.ts
function safeUrl(value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    url = void 0;
  }
  if (url && url.origin !== "null") return `${url.origin}${url.pathname}`;
  return excerpt(value.replace(/[?#].*$/s, "").replace(/^([^/@]*\/\/)?[^/@]*@/, "$1"), 80);
}
function quoteTemplate(template) {
  return excerpt(template.replace(/[?#].*$/s, "").replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/]*@/i, "$1"), 120);
}
function excerpt(text, max = 200) {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}\u2026` : oneLine;
}
function parseHttpUrl(value, input, code, example) {
  let url;
  try {
    url = new URL(value);
  } catch {
    url = void 0;
  }
  if (!url || url.protocol !== "https:" && url.protocol !== "http:" || !url.host) {
    throw inputError(input, code, `{{${input}}} must be an http(s) URL such as ${example}; got '${safeUrl(value)}'.`);
  }
  if (url.username || url.password) {
    throw inputError(
      input,
      code,
      `{{${input}}} must not contain credentials (user:password@): remove them from ${safeUrl(value)}, and give credentials through their own secret inputs.`
    );
  }
  return url;
}

// src/cli/io.ts
var UsageError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "UsageError";
  }
};

export {
  safeUrl,
  quoteTemplate,
  excerpt,
  parseHttpUrl,
  UsageError
};
