// src/core/zip/hash-worker.ts
import { createHash } from "node:crypto";
import { parentPort } from "node:worker_threads";

// src/core/zip/free-now.ts
function freeNow(buffer) {
  const memory = buffer.buffer;
  if (typeof memory.transfer !== "function") return;
  const spansAll = buffer.byteOffset === 0 && buffer.byteLength === memory.byteLength;
  if (!spansAll && memory.byteLength <= Buffer.poolSize) return;
  if (typeof SharedArrayBuffer !== "undefined" && memory instanceof SharedArrayBuffer) return;
  memory.transfer(0);
}

// src/core/zip/hash-worker.ts
var port = parentPort;
var plain = createHash("sha256");
var cipher = createHash("sha256");
port.on("message", (request) => {
  if (request.kind === "end") {
    port.postMessage({ kind: "digests", plain: plain.digest("hex"), cipher: cipher.digest("hex") });
    return;
  }
  const bytes = new Uint8Array(request.data, 0, request.length);
  if (request.kind === "plain") {
    plain.update(bytes);
    port.postMessage({ kind: "spare", data: request.data, length: request.length }, [request.data]);
  } else {
    cipher.update(bytes);
    freeNow(bytes);
  }
});
