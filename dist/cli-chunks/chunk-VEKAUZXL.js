#!/usr/bin/env node
import { createRequire as __liveUpdateCreateRequire } from 'node:module';
const require = __liveUpdateCreateRequire(import.meta.url);
import {
  inputError
} from "./chunk-JDJCEH7T.js";

// src/core/inputs/table.ts
var INPUTS = [
  {
    name: "app-id",
    kind: "string",
    description: "App id (reverse domain, e.g. com.example.app). Default, the appId of capacitor.config in working-directory."
  },
  {
    name: "path",
    kind: "path",
    description: "The web output folder to publish (index.html at its root). Default, the webDir of capacitor.config."
  },
  {
    name: "working-directory",
    kind: "path",
    default: ".",
    description: "Folder of the Capacitor project (holds capacitor.config and package.json). Relative paths resolve from here."
  },
  {
    name: "build-command",
    kind: "string",
    description: 'Optional command that builds the web output first (run with bash in working-directory, without any secret), e.g. "npm ci && npm run build".'
  },
  {
    name: "build-timeout-minutes",
    kind: "number",
    default: "30",
    min: 0,
    max: 360,
    description: "Minutes the build-command may run before it and every process it started are ended (fractions allowed, at most 360)."
  },
  {
    name: "version",
    kind: "string",
    description: "Bundle version (semver; a leading v is dropped). Default, from a tag ref v1.2.3 (after tag-prefix), else the version in package.json."
  },
  {
    name: "tag-prefix",
    kind: "string",
    default: "v",
    description: "Prefix of release tags before the semver (e.g. mobile-v for mobile-v1.2.3 in a monorepo). A pushed tag that does not match fails the run."
  },
  {
    name: "channel",
    kind: "string",
    default: "production",
    description: "Channel the bundle is published to (the channel promote and rollback change)."
  },
  {
    name: "mode",
    kind: "choice",
    default: "publish",
    choices: ["publish", "promote", "rollback", "cleanup"],
    description: "publish (build, upload, verify, register), promote (the channel's rollout becomes its stable), rollback (the stable goes to version when set, else to the previous stable; rollout cleared) or cleanup (delete the preview channel, its releases and their objects; run on pull_request closed). Only publish builds or uploads."
  },
  {
    name: "rollout-percentage",
    kind: "number",
    default: "100",
    min: 0,
    max: 100,
    description: "Share of devices (0.01-100, two decimals at most) that get the new version; the channel's stable stays for the rest. 100 publishes straight to stable."
  },
  {
    name: "preview",
    kind: "boolean",
    default: "false",
    description: "On pull_request, publish for real to the preview channel (preview-channel) as <package version>-pr.<number>.<run number> unless version is set."
  },
  {
    name: "preview-channel",
    kind: "template",
    default: "pr-{number}",
    description: "Preview channel name; {number} is the pull request number. Also the channel mode cleanup deletes."
  },
  {
    name: "private-key",
    kind: "secret-text",
    secret: true,
    cliFlag: null,
    env: "LIVE_UPDATE_PRIVATE_KEY",
    description: "PEM text of the private signing key (.capgo_key_v2, PKCS#1 or PKCS#8), from a secret. Masked."
  },
  {
    name: "private-key-file",
    kind: "path",
    cliFlag: "private-key",
    description: "Path of the private key file instead of private-key (for self-hosted runners that hold the key on disk)."
  },
  {
    name: "public-key",
    kind: "pem",
    description: "The app's public key (PKCS#1 PEM). Default, plugins.CapacitorUpdater.publicKey of capacitor.config. When known, it must match private-key."
  },
  {
    name: "require-notify-app-ready",
    kind: "boolean",
    default: "true",
    description: "Refuse a build in which no .js file calls notifyAppReady() (the plugin rolls such updates back)."
  },
  {
    name: "compression-level",
    kind: "int",
    default: "6",
    min: 1,
    max: 9,
    cliFlag: "level",
    description: "Deflate level from 1 (fastest) to 9 (smallest). 6 is what Capgo's CLI uses; already-compressed files (images, fonts, media) are stored either way."
  },
  {
    name: "bundle-cache",
    kind: "boolean",
    default: "true",
    actionOnly: true,
    cliFlag: null,
    description: "Keep deflated files between runs in the GitHub Actions cache (scoped to the branch) so unchanged files are not compressed again. Cached data is checked against each file before use; the bundle is byte-identical either way. The CLI takes --cache-dir DIR instead."
  },
  {
    name: "delta",
    kind: "boolean",
    default: "false",
    description: "Also publish every file as its own encrypted object with a signed manifest, so devices download only the files that changed (served by the self-hosted responder, docs/self-hosted.md). The zip stays the fallback."
  },
  {
    name: "native-compatibility",
    kind: "choice",
    default: "fail",
    choices: ["fail", "accept", "off"],
    description: "Native plugins (as Capgo's CLI fingerprints them) against the channel's live release: fail refuses added or changed native code before any upload; accept publishes and records them as the channel's baseline (after shipping the store build); off."
  },
  {
    name: "native-version",
    kind: "string",
    description: "The native app version; a bundle version below it is refused (plugin 8.53+ refuses it: version_below_native). Default, versionName of android/app/build.gradle, else MARKETING_VERSION of ios/App."
  },
  {
    name: "storage",
    kind: "choice",
    default: "s3",
    choices: ["s3", "dir"],
    description: "Where bundles go, s3 (any S3-compatible provider) or dir (a local folder)."
  },
  {
    name: "s3-bucket",
    kind: "string",
    description: "Bucket name (storage s3)."
  },
  {
    name: "s3-region",
    kind: "string",
    default: "us-east-1",
    description: "Bucket region (R2 accepts us-east-1 as auto)."
  },
  {
    name: "s3-endpoint",
    kind: "url",
    description: "Endpoint for non-AWS providers (R2, MinIO, B2, GCS, Spaces), e.g. https://<account>.r2.cloudflarestorage.com."
  },
  {
    name: "s3-force-path-style",
    kind: "boolean",
    default: "false",
    description: "Use path-style addressing (endpoint/bucket/key); needed by MinIO and some others."
  },
  {
    name: "s3-access-key-id",
    kind: "secret-text",
    secret: true,
    env: "AWS_ACCESS_KEY_ID",
    envReader: "aws-sdk",
    description: "Access key id. Leave empty to use the job's standard AWS credentials (e.g. from aws-actions/configure-aws-credentials with OIDC). Masked."
  },
  {
    name: "s3-secret-access-key",
    kind: "secret-text",
    secret: true,
    env: "AWS_SECRET_ACCESS_KEY",
    envReader: "aws-sdk",
    description: "Secret access key, with s3-access-key-id. Masked."
  },
  {
    name: "s3-acl",
    kind: "string",
    description: "Optional canned ACL (e.g. public-read). None by default; buckets with ACLs disabled (AWS's default) reject ACLs."
  },
  {
    name: "s3-checksum",
    kind: "choice",
    default: "auto",
    choices: ["auto", "when_required", "when_supported"],
    description: "Request/response checksum mode, auto (SDK defaults on AWS, when_required on custom endpoints), when_required or when_supported."
  },
  {
    name: "s3-part-size-mib",
    kind: "int",
    default: "8",
    min: 5,
    max: 5120,
    description: "Multipart upload part size in MiB (5 to 5120)."
  },
  {
    name: "object-key",
    kind: "template",
    default: "{appId}/{version}/{hash}.zip",
    description: "Object key template; placeholders {appId} {version} {channel} {hash} (16 hex chars of the encrypted bundle's sha256)."
  },
  {
    name: "public-url",
    kind: "template",
    description: "URL devices download from, a template with {key}, e.g. https://updates.example.com/{key}. Default, derived from endpoint, bucket and addressing style."
  },
  {
    name: "cache-control",
    kind: "string",
    default: "public, max-age=31536000, immutable",
    description: "Cache-Control of the uploaded object (bundles are immutable)."
  },
  {
    name: "storage-dir",
    kind: "path",
    description: "Folder that receives bundles (storage dir); not inside the web output folder."
  },
  {
    name: "server",
    kind: "choice",
    default: "capgo",
    choices: ["capgo", "webhook", "self-hosted", "none"],
    description: "Update server, capgo (Capgo Cloud or self-hosted Capgo), webhook (signed POST to your server), self-hosted (nothing but your storage: the release records are what the responder serves) or none (upload and verify only)."
  },
  {
    name: "capgo-api-key",
    kind: "secret-text",
    secret: true,
    env: "CAPGO_API_KEY",
    description: "Capgo API key with upload rights (server capgo). Masked."
  },
  {
    name: "capgo-api-url",
    kind: "url",
    default: "https://api.capgo.app",
    description: "Capgo API base URL; change it for a self-hosted Capgo backend."
  },
  {
    name: "webhook-url",
    kind: "url",
    description: "Endpoint that receives the signed bundle.published document (server webhook)."
  },
  {
    name: "webhook-secret",
    kind: "secret-text",
    secret: true,
    env: "LIVE_UPDATE_WEBHOOK_SECRET",
    description: "HMAC-SHA256 secret for the X-Signature-256 header (server webhook). Masked."
  },
  {
    name: "verify",
    kind: "boolean",
    default: "true",
    description: "After upload, download the bundle from its public URL and check it as a device would before registering it."
  },
  {
    name: "dry-run",
    kind: "boolean",
    default: "false",
    description: "Build, zip, encrypt, sign and verify locally, but upload and register nothing (for pull requests)."
  },
  {
    name: "summary",
    kind: "boolean",
    default: "true",
    actionOnly: true,
    description: "Write a job summary."
  },
  {
    name: "pr-comment",
    kind: "choice",
    default: "auto",
    choices: ["auto", "always", "never"],
    actionOnly: true,
    description: "auto (comment on pull_request events), always (also on the open pull requests holding the commit), never."
  },
  {
    name: "github-token",
    kind: "secret-text",
    secret: true,
    env: "GITHUB_TOKEN",
    actionOnly: true,
    actionDefault: "${{ github.token }}",
    description: "Token for the pull request comment. Masked."
  }
];
var INPUT_NAMES = INPUTS.map((input) => input.name);
var BY_NAME = new Map(INPUTS.map((input) => [input.name, input]));
function inputSpec(name) {
  return BY_NAME.get(name);
}
function isInputName(name) {
  return BY_NAME.has(name);
}
var INPUT_DEFAULTS = Object.fromEntries(
  INPUTS.flatMap((input) => input.default === void 0 ? [] : [[input.name, input.default]])
);
var SECRET_INPUTS = INPUTS.filter((input) => input.secret).map(
  (input) => input.name
);
function cliFlagOf(name) {
  const spec = inputSpec(name);
  if (spec.actionOnly || spec.cliFlag === null) return void 0;
  return spec.cliFlag ?? spec.name;
}

// src/core/inputs/fields.ts
var CLI_POSITIONALS = /* @__PURE__ */ new Set(["file-or-url", "web-dir"]);
var REFERENCE = /\{\{([a-z0-9-]+)\}\}/g;
function renderField(name, style) {
  if (style === "action") return `'${name}'`;
  if (CLI_POSITIONALS.has(name)) return `<${name}>`;
  if (!isInputName(name)) return `--${name}`;
  const flag = cliFlagOf(name);
  if (flag) return `--${flag}`;
  const env = inputSpec(name).env;
  return env ?? `'${name}'`;
}
function renderFields(message, style) {
  return message.replace(REFERENCE, (_match, name) => renderField(name, style));
}

// src/cli/inputs.ts
import { readFile } from "node:fs/promises";
import path from "node:path";
function looksLikePem(value) {
  return value.includes("-----BEGIN ");
}
var PLACEHOLDER = {
  path: "PATH",
  url: "URL",
  int: "N",
  template: "TEMPLATE",
  pem: "FILE",
  "secret-text": "VALUE"
};
function flagDescription(spec) {
  const parts = [spec.description.replace(/ Masked\.$/, "")];
  if (spec.choices) parts.push(`One of: ${spec.choices.join(", ")}.`);
  if (spec.default !== void 0) parts.push(`Default: ${spec.default}.`);
  if (spec.env && spec.envReader !== "aws-sdk") parts.push(`Or set ${spec.env}.`);
  if (spec.env && spec.envReader === "aws-sdk")
    parts.push(`Unset: the AWS SDK reads ${spec.env} (and AWS_SESSION_TOKEN, profiles) itself.`);
  return parts.join(" ");
}
function publishFlags() {
  const flags = {};
  for (const spec of INPUTS) {
    if (spec.actionOnly) {
      flags[spec.name] = {
        type: spec.kind === "boolean" ? "boolean" : "string",
        value: "VALUE",
        description: "Action only: accepted and ignored by the CLI."
      };
      continue;
    }
    const flag = cliFlagOf(spec.name);
    if (!flag) continue;
    const aliases = flag === spec.name ? [] : [spec.name];
    if (spec.name === "private-key-file") {
      flags[flag] = {
        type: "string",
        aliases,
        value: "FILE",
        description: "The private key file (.capgo_key_v2). Or set LIVE_UPDATE_PRIVATE_KEY to its PEM text."
      };
      continue;
    }
    if (spec.name === "public-key") {
      flags[flag] = {
        type: "string",
        value: "FILE",
        description: "The app's public key file (.capgo_key_v2.pub). Default, plugins.CapacitorUpdater.publicKey of capacitor.config; it must match the private key."
      };
      continue;
    }
    flags[flag] = {
      type: spec.kind === "boolean" ? "boolean" : "string",
      aliases,
      value: PLACEHOLDER[spec.kind],
      description: flagDescription(spec)
    };
  }
  flags["no-notify-check"] = { type: "boolean", description: "Same as --require-notify-app-ready false." };
  flags.json = { type: "boolean", description: "Print the result as one JSON line on stdout." };
  flags["cache-dir"] = {
    type: "string",
    value: "DIR",
    description: "Reuse deflated files from earlier runs kept in DIR (the action uses bundle-cache instead)."
  };
  return flags;
}
async function publishInputValues(values, io) {
  const out = {};
  for (const spec of INPUTS) {
    const name = spec.name;
    const flag = cliFlagOf(name);
    const value = flag ? values[flag] : void 0;
    if (value !== void 0) out[name] = String(value);
    else if (spec.env && spec.envReader !== "aws-sdk" && !spec.actionOnly && io.env[spec.env])
      out[name] = io.env[spec.env];
  }
  for (const spec of INPUTS) {
    if (spec.actionOnly && values[spec.name] !== void 0)
      io.stderr.write(`warning: --${spec.name} is an action input; the CLI ignores it.
`);
  }
  if (values["no-notify-check"] === true) out["require-notify-app-ready"] = "false";
  const keyFlag = out["private-key-file"];
  if (keyFlag !== void 0) {
    delete out["private-key"];
    if (looksLikePem(keyFlag)) {
      warnKeyOnCommandLine(io);
      out["private-key"] = keyFlag;
      delete out["private-key-file"];
    }
  }
  if (out["public-key"] !== void 0 && !looksLikePem(out["public-key"]))
    out["public-key"] = await readFlagFile(io.cwd, out["public-key"], "public-key");
  return out;
}
function warnKeyOnCommandLine(io) {
  io.stderr.write(
    "warning: --private-key holds PEM text; a command line is visible to other processes. Give the file instead, or set LIVE_UPDATE_PRIVATE_KEY.\n"
  );
}
async function readFlagFile(cwd, file, field) {
  const absolute = path.resolve(cwd, file);
  try {
    return await readFile(absolute, "utf8");
  } catch {
    throw inputError(
      field,
      "input_file_unreadable",
      `Cannot read the {{${field}}} file '${file}' (${absolute}). Check the path.`
    );
  }
}

export {
  inputSpec,
  INPUT_DEFAULTS,
  renderFields,
  looksLikePem,
  publishFlags,
  publishInputValues,
  warnKeyOnCommandLine,
  readFlagFile
};
