import { readFileSync, unwatchFile, watchFile } from "node:fs";
import { createSecureContext } from "node:tls";
import { X509Certificate } from "node:crypto";
import type { Logger } from "../log/log.js";

// api_server.tls: the certificate (chain) and private key files, in PEM.
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface KeyPair {
  cert: Buffer;
  key: Buffer;
}

// How often the files are looked at for a change. Polling (stat) sees every
// way a certificate is renewed: written in place, renamed over, or a
// symlink swapped (Kubernetes secrets, certbot's live/ directory).
const POLL_MS = 1000;

// Reads the pair and checks that it makes a TLS context (PEM that parses, a
// key that matches the certificate), so a bad pair is refused as a whole.
export function readKeyPair(files: TlsFiles): KeyPair {
  const pair = { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
  createSecureContext(pair);
  return pair;
}

// When the leaf certificate stops being valid, for the log.
export function notAfter(pair: KeyPair): string {
  return new X509Certificate(pair.cert).validTo;
}

// Calls `use` with the pair each time the files hold a new, usable one. A
// pair that does not load (half written, key and certificate of different
// renewals) is logged and the previous one kept; the next change tries
// again. Returns a function that stops watching.
export function watchKeyPair(files: TlsFiles, initial: KeyPair, use: (pair: KeyPair) => void, log: Logger): () => void {
  let current = initial;
  const reload = () => {
    let pair: KeyPair;
    try {
      pair = readKeyPair(files);
    } catch (err) {
      log.warn("TLS certificate not reloaded; serving the previous one", { err: (err as Error).message, cert_file: files.certFile, key_file: files.keyFile });
      return;
    }
    if (pair.cert.equals(current.cert) && pair.key.equals(current.key)) return;
    use(pair);
    current = pair;
    log.info("TLS certificate reloaded", { cert_file: files.certFile, not_after: notAfter(pair) });
  };
  // Not persistent: watching must not keep a stopping process alive.
  const options = { interval: POLL_MS, persistent: false };
  watchFile(files.certFile, options, reload);
  watchFile(files.keyFile, options, reload);
  return () => {
    unwatchFile(files.certFile, reload);
    unwatchFile(files.keyFile, reload);
  };
}
