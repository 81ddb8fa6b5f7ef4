/**
 * Certificates for tests of keyless signing (not itself a test file): a CA and Fulcio-style leaf
 * certificates (OIDC issuer extension, email or URI subject), made offline with the openssl
 * command, since node:crypto cannot issue certificates.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Fulcio's v2 OIDC issuer extension. */
const OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';

export interface TestCertificate {
  /** The certificate, PEM. */
  pem: string;
  /** Its private key, PKCS#8 PEM. */
  keyPem: string;
  /** Files, for issuing from it. */
  certFile: string;
  keyFile: string;
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });

/** A self-signed P-256 CA certificate named `name`, written into `dir`. */
export function makeCa(dir: string, name: string): TestCertificate {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.pem`);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '30', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  return { pem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8'), certFile, keyFile };
}

/**
 * A leaf certificate issued by `ca` for `subject` (`email:…` or `URI:…`) with the OIDC `issuer`
 * in Fulcio's extension, valid for `days` days from now.
 */
export function makeLeaf(dir: string, ca: TestCertificate, name: string, subject: string, issuer: string, days = 1): TestCertificate {
  const keyFile = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const certFile = join(dir, `${name}.pem`);
  const extensions = join(dir, `${name}.ext`);
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', '/O=sigstore.dev']);
  writeFileSync(extensions, `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=critical,${subject}\n${OID_ISSUER_V2}=ASN1:UTF8String:${issuer}\n`);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-out', certFile, '-days', String(days), '-extfile', extensions]);
  return { pem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8'), certFile, keyFile };
}
