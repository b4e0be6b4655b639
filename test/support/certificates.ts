import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// A private certificate authority made by the test with openssl, and server
// certificates it signs for 127.0.0.1, ::1 and localhost: TLS as a user with
// an internal CA has it, nothing skipped in verification.

export interface Issued {
  certFile: string;
  keyFile: string;
  // SHA-256 fingerprint, as X509Certificate and TLS sockets show it.
  fingerprint: string;
}

export interface TestCa {
  caFile: string;
  ca: string;
  issue(name: string): Issued;
  remove(): void;
}

const openssl = (args: string[], cwd: string) => execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export function makeCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), "easytask-ca-"));
  openssl(["req", "-x509", ...EC_KEY, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=easytask test CA"], dir);
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  const caFile = join(dir, "ca.pem");
  return {
    caFile,
    ca: readFileSync(caFile, "utf8"),
    issue(name) {
      openssl(["req", ...EC_KEY, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`], dir);
      openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", "server.ext"], dir);
      const certFile = join(dir, `${name}.pem`);
      return { certFile, keyFile: join(dir, `${name}.key`), fingerprint: new X509Certificate(readFileSync(certFile)).fingerprint256 };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
