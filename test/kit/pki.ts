// Certificates made at test run time: CAs, intermediates, server and client certificates,
// PKCS12 bundles and CRLs. Nothing is checked in; every run makes its own. RSA 2048 keys come
// from Node's crypto (fast, native); node-forge builds and signs the certificates and CRLs.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

export interface Issued {
  certPem: string;
  keyPem: string;
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
  serial: string;
}

const DAY = 86_400_000;

function keyPair() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  return { key, keyPem, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}

export interface IssueOptions {
  cn: string;
  /** DNS names and IPs (told apart by isIP). */
  san?: string[];
  ca?: boolean;
  usage?: 'server' | 'client' | 'both';
  days?: number;
}

/** Issues a certificate signed by `issuer` (self-signed when absent). */
export function issue(o: IssueOptions, issuer?: Issued): Issued {
  const { key, keyPem, publicKey } = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive serial: the first byte below 0x80.
  cert.serialNumber = `1${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - DAY);
  cert.validity.notAfter = new Date(Date.now() + (o.days ?? 30) * DAY);
  const subject = [{ name: 'commonName', value: o.cn }, { name: 'organizationName', value: 'Fulcrum tests' }];
  cert.setSubject(subject);
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : subject);
  const usage = o.usage ?? 'server';
  const ext: any[] = [{ name: 'basicConstraints', cA: Boolean(o.ca), critical: true }];
  if (o.ca) {
    ext.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true });
  } else {
    ext.push({ name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true });
    ext.push({ name: 'extKeyUsage', serverAuth: usage !== 'client', clientAuth: usage !== 'server' });
  }
  ext.push({ name: 'subjectKeyIdentifier' });
  if (o.san?.length) {
    ext.push({ name: 'subjectAltName', altNames: o.san.map((n) => (isIP(n) ? { type: 7, ip: n } : { type: 2, value: n })) });
  }
  cert.setExtensions(ext);
  cert.sign(issuer ? issuer.key : key, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem, cert, key, serial: cert.serialNumber };
}

export const ca = (cn: string, issuer?: Issued) => issue({ cn, ca: true, days: 60 }, issuer);

/** A PKCS12 bundle without a pass phrase (as Octavia reads them), chain included. */
export function pkcs12(leaf: Issued, chain: Issued[] = []): Buffer {
  const p12 = forge.pkcs12.toPkcs12Asn1(leaf.key, [leaf.cert, ...chain.map((c) => c.cert)], null, { algorithm: '3des' });
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
}

/** The key encrypted with `passphrase` (PKCS#8, AES-256). */
export function encryptedKey(leaf: Issued, passphrase: string): string {
  const info = forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(leaf.key));
  const encrypted = forge.pki.encryptPrivateKeyInfo(info, passphrase, { algorithm: 'aes256' });
  return forge.pki.encryptedPrivateKeyToPem(encrypted);
}

/** A v2 CRL issued by `issuer` revoking `revoked` (sha256WithRSAEncryption), as PEM. */
export function crl(issuer: Issued, revoked: Issued[]): string {
  const { asn1 } = forge;
  const T = asn1.Type;
  const C = asn1.Class.UNIVERSAL;
  const time = (d: Date) => asn1.create(C, T.UTCTIME, false, asn1.dateToUtcTime(d));
  const algorithm = asn1.create(C, T.SEQUENCE, true, [
    asn1.create(C, T.OID, false, asn1.oidToDer(forge.pki.oids.sha256WithRSAEncryption).getBytes()),
    asn1.create(C, T.NULL, false, ''),
  ]);
  const entries = revoked.map((r) => asn1.create(C, T.SEQUENCE, true, [
    asn1.create(C, T.INTEGER, false, forge.util.hexToBytes(r.serial)),
    time(new Date(Date.now() - 60_000)),
  ]));
  const tbs = asn1.create(C, T.SEQUENCE, true, [
    asn1.create(C, T.INTEGER, false, String.fromCharCode(1)),
    algorithm,
    forge.pki.distinguishedNameToAsn1(issuer.cert.subject),
    time(new Date(Date.now() - DAY)),
    time(new Date(Date.now() + 30 * DAY)),
    ...(entries.length ? [asn1.create(C, T.SEQUENCE, true, entries)] : []),
  ]);
  const md = forge.md.sha256.create();
  md.update(asn1.toDer(tbs).getBytes());
  const signature = issuer.key.sign(md);
  const list = asn1.create(C, T.SEQUENCE, true, [
    tbs, algorithm, asn1.create(C, T.BITSTRING, false, String.fromCharCode(0) + signature),
  ]);
  return forge.pem.encode({ type: 'X509 CRL', body: asn1.toDer(list).getBytes() }, { maxline: 64 });
}
