/**
 * Every error code the pipeline throws, one catalogue per area. Naming rule:
 * `<area>_<subject>_<problem>`, lowercase, where `<area>` is the catalogue (input, build, keys,
 * bundle, storage, capgo, webhook, register, verify). Codes are a public API (scripts match them,
 * docs/errors.md lists them): rename only with an entry in that document's old -> new table.
 * Each value is the one-line meaning docs/errors.md shows (a test keeps the two in step).
 */

/** Inputs, flags and configuration files: found before any work (stage `input`). */
export const InputErrors = {
  input_choice_invalid: 'An input that takes one of a few values got another one.',
  input_boolean_invalid: 'An input that takes true or false got another value.',
  input_app_id_missing: 'No app id given and none found in capacitor.config.',
  input_app_id_invalid: 'The app id is not a reverse-domain id.',
  input_path_missing: 'No web folder given and no webDir found in capacitor.config.',
  input_channel_invalid: 'The channel name holds characters other than letters, digits, `.`, `_`, `-`.',
  input_version_missing: 'No version given, no semver tag and no package.json version.',
  input_version_invalid: 'The version is not semver, or is 0.0.0.',
  input_private_key_missing: 'No private key given.',
  input_file_unreadable: 'A file named by an input or flag cannot be read.',
  input_public_url_invalid: 'The public URL template has no `{key}`, or renders to an invalid URL.',
  input_public_url_not_https: 'Capgo needs an https bundle URL; the public URL is not https.',
  input_object_key_invalid: 'The object key template renders to a key storage cannot hold.',
  input_storage_dir_missing: '`storage: dir` without a storage folder.',
  input_storage_missing: 'No storage configured (and not a dry run).',
  input_s3_bucket_missing: '`storage: s3` without a bucket.',
  input_s3_credentials_incomplete: 'Only one of the access key id and secret access key is set.',
  input_s3_endpoint_invalid: 'The S3 endpoint is not an http(s) URL (or holds credentials).',
  input_part_size_invalid: 'The multipart part size is not a whole number from 5 to 5120 MiB.',
  input_capgo_api_key_missing: '`server: capgo` without an API key.',
  input_capgo_api_url_invalid: 'The Capgo API URL is not an http(s) URL (or holds credentials).',
  input_webhook_url_invalid: '`server: webhook` without a valid webhook URL.',
  input_webhook_secret_missing: '`server: webhook` without a webhook secret.',
  input_compression_level_invalid: 'The deflate level is not a whole number from 1 to 9.',
  input_build_timeout_invalid: '`build-timeout-minutes` is not a number of minutes above 0 and at most 360.',
  input_capacitor_config_missing: 'The named capacitor.config file does not exist.',
  input_capacitor_config_invalid: 'capacitor.config exists but cannot be read as a Capacitor config.',
  input_capacitor_config_not_json: 'capacitor.config.json is not valid JSON.',
  input_out_inside_web_dir: 'CLI `bundle --out` points inside the web folder.',
  input_cache_dir_inside_web_dir: 'CLI `--cache-dir` points inside the web folder.',
  input_out_dir_missing: 'CLI `bundle --out`: its folder does not exist.',
  input_out_is_folder: 'CLI `bundle --out` is a folder, not a file path.',
  input_key_file_exists: 'CLI `key create` would overwrite an existing key (pass --force).',
  input_checksum_invalid: 'CLI `verify --checksum` is not a 512-character hex signed checksum.',
  input_bundle_file_missing: 'CLI `verify`: the local bundle file does not exist or is not a file.',
  input_bundle_url_invalid: '`verify`: the bundle URL is not a valid URL, or holds credentials (user:password@).',
  input_tag_invalid: 'The pushed tag holds no semantic version after `tag-prefix` (or lacks the prefix).',
  input_working_directory_missing: 'The working directory is not a folder (no checkout?).',
  input_private_key_conflict: 'Both `private-key` and `private-key-file` are set.',
  input_private_key_ambiguous: 'The private key text holds more than one PEM block.',
  input_private_key_base64: 'The private key text is base64 of a PEM, not the PEM itself.',
  input_public_key_form_invalid:
    "The app's public key is not exactly in the form the plugin parses (text before BEGIN, escapes, text after END).",
  input_s3_bucket_invalid: 'The bucket is not a bucket name (a URL, a path, spaces).',
  input_storage_dir_inside_web_dir:
    '`storage-dir` is inside the web folder: every bundle would hold the previous ones.',
  input_device_url_invalid: 'The URL devices would fetch the bundle from is not a valid URL.',
  input_device_url_not_https: 'Devices would fetch the bundle over http (not loopback); the plugin only takes https.',
  input_preview_channel_invalid: 'The preview channel template does not give a valid channel name.',
  input_rollout_percentage_invalid: 'The rollout percentage is not a number from 0.01 to 100.',
  input_release_version_unknown: 'Rollback to a version that has no release record of this app.',
} as const

/** The native-compatibility guard and the native version gate, before any upload (stage `input`). */
export const NativeErrors = {
  native_package_json_missing: 'No readable package.json in the working directory to fingerprint.',
  native_node_modules_missing: 'No node_modules in or above the working directory: dependencies not installed.',
  native_dependency_missing: 'A dependency listed in package.json is not installed.',
  native_plugins_incompatible: "Native plugins changed since the channel's release (native-compatibility: fail).",
  native_version_below: "The bundle version is below the app's native version (devices refuse it).",
  native_version_invalid: 'The native-version input is not a version.',
} as const

/** The user's build command (stage `build`). */
export const BuildErrors = {
  build_command_failed: 'The build command exited non-zero; nothing was published.',
  build_command_timeout:
    'The build command ran longer than `build-timeout-minutes`; it and every process it started were ended.',
  build_shell_unavailable: 'bash could not be started to run the build command.',
} as const

/** The signing key pair (stage `keys`). */
export const KeysErrors = {
  keys_private_key_empty: 'The private key input is empty.',
  keys_private_key_is_public: 'The private key input holds a public key.',
  keys_private_key_encrypted: 'The private key is passphrase-protected.',
  keys_private_key_openssh: 'The private key is in OpenSSH format, not PEM.',
  keys_private_key_invalid: 'The private key is not a usable PEM RSA private key.',
  keys_private_key_not_rsa: 'The private key is not an RSA key.',
  keys_private_key_size_invalid: 'The private key is not RSA-2048.',
  keys_public_key_empty: 'The public key is empty.',
  keys_public_key_is_private: 'The public key input holds a private key.',
  keys_public_key_spki: 'The public key is SPKI (`BEGIN PUBLIC KEY`); the plugin needs PKCS#1.',
  keys_public_key_invalid: 'The public key is not a usable PKCS#1 RSA public key.',
  keys_public_key_not_rsa: 'The public key is not an RSA key.',
  keys_public_key_size_invalid: 'The public key is not RSA-2048.',
  keys_public_key_mismatch: "The app's public key is not the private key's pair.",
} as const

/** Zipping, encrypting and signing the web folder (stage `bundle`). */
export const BundleErrors = {
  bundle_folder_missing: 'The web folder does not exist.',
  bundle_folder_not_dir: 'The web folder path is not a folder.',
  bundle_folder_empty: 'The web folder holds no files.',
  bundle_index_html_missing: 'The web folder has no index.html at its root.',
  bundle_name_backslash: 'A file name holds a backslash, which devices read as a folder separator.',
  bundle_symlink_broken: 'A symbolic link points at nothing.',
  bundle_symlink_outside: 'A symbolic link points outside the web folder.',
  bundle_symlink_loop: 'Symbolic links form a loop.',
  bundle_entries_too_many: 'More files than a zip without ZIP64 can hold.',
  bundle_zip_too_large: 'The zip would need ZIP64 (over 4 GiB).',
  bundle_file_unreadable: 'A file of the web folder could not be read.',
  bundle_file_changed: 'A file changed while the bundle was written.',
  bundle_file_permission_denied: 'A file or folder of the web folder may not be read (EACCES, EPERM).',
  bundle_file_too_large: 'A file is 4 GiB or larger (a zip without ZIP64 cannot hold it).',
  bundle_file_vanished: 'A file disappeared while the web folder was read.',
  bundle_name_not_utf8: 'A file name is not valid UTF-8.',
  bundle_name_unicode_twin: 'Two names differ only in Unicode normalization (NFC/NFD): one name on iOS.',
  bundle_name_too_long: 'A name or path is longer than phones extract.',
  bundle_path_too_long: 'A path is longer than the file system allows (ENAMETOOLONG).',
  bundle_notify_app_ready_missing: 'No script calls notifyAppReady(): devices would roll the update back.',
  bundle_delta_files_too_many: 'More files than a per-file (delta) update allows.',
  bundle_delta_file_name_invalid: 'A file name the plugin refuses in a per-file (delta) update.',
  bundle_delta_target_duplicate: 'Two delta manifest entries would be written to the same device path.',
} as const

/** The bundle store: S3-compatible storage or a folder (stage `upload`). */
export const StorageErrors = {
  storage_bucket_missing: 'The bucket does not exist at this endpoint.',
  storage_bucket_invalid: 'The provider refused the bucket name.',
  storage_credentials_invalid: 'The provider does not accept the credentials.',
  storage_credentials_missing: 'No storage credentials were found.',
  storage_access_denied: 'The credentials may not write to the bucket.',
  storage_region_wrong: 'The bucket is in another region.',
  storage_clock_skewed: "The runner's clock is too far from the provider's.",
  storage_request_unsupported: 'The provider does not implement a request the upload needs.',
  storage_endpoint_unreachable: 'The storage endpoint could not be reached.',
  storage_service_unavailable: 'The provider kept failing after retries.',
  storage_upload_failed: 'The upload failed for another reason (the message has the provider code).',
  storage_object_exists: 'An object already exists at the key (objects are never replaced).',
  storage_size_mismatch: 'The stored object does not have the uploaded size.',
  storage_stat_failed: "The stored object's size could not be read.",
  storage_write_failed: 'The folder store could not write the bundle.',
  storage_delete_failed: 'An object could not be removed.',
  storage_dir_missing: "The folder store's folder does not exist.",
  storage_hash_invalid: 'Internal: the object key hash is not 64 hex characters.',
  storage_read_failed: 'The folder store could not read a record or list a folder.',
  storage_lock_held: "A record's lock file in the folder store stayed taken (a crashed writer?).",
} as const

/** Capgo's REST API answers and the network in front of it (stages `lookup`, `register`). */
export const CapgoErrors = {
  capgo_api_key_missing: 'Capgo received no API key.',
  capgo_api_key_invalid: 'Capgo rejected the API key.',
  capgo_permission_denied: 'The API key may not upload bundles to this app.',
  capgo_rate_limited: "Capgo kept answering 429: the key's rate limit is spent.",
  capgo_app_not_found: 'Capgo has no such app visible to this key.',
  capgo_app_id_invalid: 'Capgo refused the app id.',
  capgo_version_invalid: 'Capgo refused the version.',
  capgo_version_missing: 'Capgo cannot find the version.',
  capgo_version_conflict: 'The version exists on Capgo with other content.',
  capgo_version_hidden: 'Capgo says the version exists but does not list it.',
  capgo_bundle_url_invalid: 'Capgo refused the bundle URL (it must be https).',
  capgo_bundle_create_failed: 'Capgo could not create the bundle.',
  capgo_encryption_required: 'The Capgo organization enforces encryption and saw no session key.',
  capgo_encryption_key_mismatch: 'The Capgo organization requires another signing key.',
  capgo_api_url_redirected: 'The Capgo API URL redirects (not followed, so the key is not forwarded).',
  capgo_response_invalid: 'Capgo answered something that is not its API.',
  capgo_server_failed: 'Capgo kept answering 5xx.',
  capgo_request_timeout: 'Capgo did not answer in time.',
  capgo_api_unreachable: 'Capgo could not be reached.',
  capgo_http_failed: 'Capgo answered another non-2xx status.',
  capgo_call_failed: 'A Capgo call failed for another reason.',
} as const

/** Your own update server behind a signed webhook (stage `register`). */
export const WebhookErrors = {
  webhook_http_failed: 'The receiver answered a non-2xx status.',
  webhook_request_timeout: 'The receiver did not answer in time.',
  webhook_url_unreachable: 'The receiver could not be reached.',
  webhook_call_failed: 'The webhook call failed for another reason.',
  webhook_event_failed: 'The receiver did not accept a channel event (promoted, rolled back, deleted).',
} as const

/** Checks every registrar makes before announcing a bundle (stages `lookup`, `register`). */
export const RegisterErrors = {
  register_app_id_missing: 'Internal: registration without an app id.',
  register_version_missing: 'Internal: registration without a version.',
  register_channel_missing: 'Internal: registration without a channel.',
  register_url_missing: 'Internal: registration without a bundle URL.',
  register_session_key_missing: 'Internal: registration without a session key.',
  register_checksum_invalid: 'Internal: registration without a V3 signed checksum.',
  register_key_id_missing: 'Internal: registration without a key_id.',
  register_signature_missing: 'Internal: registration without session key, signed checksum or signed metadata.',
  register_version_conflict: 'The version is already registered with different content.',
} as const

/** Downloading the upload and checking it as a device would (stage `verify`). */
export const VerifyErrors = {
  verify_size_mismatch: 'The stored object does not have the uploaded size.',
  verify_download_failed: 'A device could not download the bundle.',
  verify_session_key_rejected: 'A device could not unwrap the session key with its public key.',
  verify_decrypt_failed: 'A device could not decrypt the bundle.',
  verify_checksum_rejected: 'The decrypted bundle does not match the signed checksum.',
  verify_zip_rejected: 'A device could not unzip the bundle (or its layout is refused).',
  verify_delta_failed: 'A device could not apply the per-file (delta) update.',
} as const

/** The run as a whole, whatever stage it was in (the stage says where it stopped). */
export const RunErrors = {
  run_cancelled_by_signal: 'SIGINT or SIGTERM arrived (a cancelled job); the run cleaned up and stopped.',
} as const

/** Release, channel and app records in the user's storage (stage `records`). */
export const RecordsErrors = {
  records_record_invalid: 'A record in the bucket is not a valid schema-1 record.',
  records_schema_unsupported: 'A record was written by a newer schema than this action reads.',
  records_update_contended: 'Other publishes kept changing a record; it could not be updated.',
} as const

/** Promote, rollback and cleanup (stage `release`). */
export const ReleaseErrors = {
  release_rollback_target_missing: 'Rollback without `version` and no earlier stable in the channel record.',
  release_cleanup_not_preview: '`mode: cleanup` named a channel that is not a preview channel.',
} as const

export const ERROR_CATALOGUES = {
  input: InputErrors,
  build: BuildErrors,
  keys: KeysErrors,
  native: NativeErrors,
  bundle: BundleErrors,
  storage: StorageErrors,
  capgo: CapgoErrors,
  webhook: WebhookErrors,
  register: RegisterErrors,
  verify: VerifyErrors,
  run: RunErrors,
  records: RecordsErrors,
  release: ReleaseErrors,
} as const

export type InputErrorCode = keyof typeof InputErrors
export type BuildErrorCode = keyof typeof BuildErrors
export type KeysErrorCode = keyof typeof KeysErrors
export type NativeErrorCode = keyof typeof NativeErrors
export type BundleErrorCode = keyof typeof BundleErrors
export type StorageErrorCode = keyof typeof StorageErrors
export type CapgoErrorCode = keyof typeof CapgoErrors
export type WebhookErrorCode = keyof typeof WebhookErrors
export type RegisterErrorCode = keyof typeof RegisterErrors
export type VerifyErrorCode = keyof typeof VerifyErrors
export type RunErrorCode = keyof typeof RunErrors
export type RecordsErrorCode = keyof typeof RecordsErrors
export type ReleaseErrorCode = keyof typeof ReleaseErrors
export type ErrorCode =
  | InputErrorCode
  | BuildErrorCode
  | KeysErrorCode
  | NativeErrorCode
  | BundleErrorCode
  | StorageErrorCode
  | CapgoErrorCode
  | WebhookErrorCode
  | RegisterErrorCode
  | VerifyErrorCode
  | RunErrorCode
  | RecordsErrorCode
  | ReleaseErrorCode
