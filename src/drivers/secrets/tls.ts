// Reading TLS material as Octavia's certificate managers accept it: a PKCS12 bundle (no
// pass phrase, as Octavia requires), a PEM bundle (certificate, intermediates and key in one
// payload), or the parts of a Barbican certificate container. Everything is checked the way
// HAProxy would otherwise find out at reload time: the certificate parses, the key parses
// (with its pass phrase), the key belongs to the certificate, intermediates parse, a CRL is
// signed by the CA it is given with. Failures say what is wrong, never what the key is.
import { createPrivateKey, verify, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import forge from 'node-forge';
import type { TlsCertificate } from '../../domain/entities.ts';

/** A refusal worth showing the client: the reason, free of secret material. */
export class TlsMaterialError extends Error {}

interface PemBlock {
  type: string;
  text: string;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

export function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ type: m[1], text: `${m[0]}\n` }));
}

export const looksLikePem = (payload: Buffer) => payload.subarray(0, 4096).toString('latin1').includes('-----BEGIN ');

function x509(pem: string | Buffer, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new TlsMaterialError(`the ${what} is not a readable X.509 certificate (${(err as Error).message})`);
  }
}

function privateKey(pem: string, passphrase: string | null): KeyObject {
  if (!passphrase && /ENCRYPTED PRIVATE KEY|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    throw new TlsMaterialError('the private key is encrypted and no private_key_passphrase was given');
  }
  try {
    return createPrivateKey(passphrase ? { key: pem, passphrase } : { key: pem });
  } catch (err) {
    const message = (err as Error).message;
    if (passphrase && /passphrase|decrypt|interrupted|bad/i.test(message)) {
      throw new TlsMaterialError('the private key could not be decrypted with the private_key_passphrase given');
    }
    throw new TlsMaterialError(`the private key is not a readable PEM private key (${message})`);
  }
}

/** The key as unencrypted PKCS#8 PEM, the form HAProxy reads without asking for a pass phrase. */
const exportKey = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

function assemble(leafPem: string, key: KeyObject, intermediatePems: string[]): TlsCertificate {
  const leaf = x509(leafPem, 'certificate');
  if (!leaf.checkPrivateKey(key)) {
    throw new TlsMaterialError(`the private key does not match the certificate (subject ${JSON.stringify(leaf.subject.replace(/\n/g, ', '))})`);
  }
  const intermediates = intermediatePems.map((pem, i) => x509(pem, `intermediate certificate ${i + 1}`).toString());
  return { certificate: leaf.toString(), privateKey: exportKey(key), intermediates };
}

/** The parts of a certificate container: each PEM text, the key possibly encrypted. */
export function certificateFromParts(
  certificate: string, key: string | null, intermediates: string | null, passphrase: string | null,
): TlsCertificate {
  const certs = pemBlocks(certificate).filter((b) => b.type === 'CERTIFICATE');
  if (certs.length === 0) throw new TlsMaterialError('the certificate secret holds no PEM certificate');
  if (!key) throw new TlsMaterialError('the container has no private_key secret');
  const chain = [...certs.slice(1), ...pemBlocks(intermediates ?? '').filter((b) => b.type === 'CERTIFICATE')];
  return assemble(certs[0].text, privateKey(key, passphrase), chain.map((b) => b.text));
}

/** One PEM payload with the certificate first, then intermediates, and the (unencrypted) key. */
export function certificateFromPemBundle(text: string): TlsCertificate {
  const blocks = pemBlocks(text);
  const certs = blocks.filter((b) => b.type === 'CERTIFICATE');
  const keys = blocks.filter((b) => /PRIVATE KEY$/.test(b.type));
  if (certs.length === 0) throw new TlsMaterialError('the PEM bundle holds no certificate');
  if (keys.length !== 1) throw new TlsMaterialError(`the PEM bundle must hold exactly one private key, not ${keys.length}`);
  return assemble(certs[0].text, privateKey(keys[0].text, null), certs.slice(1).map((b) => b.text));
}

/** A PKCS12 bundle without a pass phrase, as Octavia reads default_tls_container_ref secrets. */
export function certificateFromPkcs12(der: Buffer): TlsCertificate {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')));
    // "No pass phrase" is spelled two ways: an empty one (openssl -passout pass:) or none at all.
    try {
      p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, '');
    } catch {
      p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false);
    }
  } catch (err) {
    throw new TlsMaterialError(
      'The PKCS12 bundle is unreadable. Please check the PKCS12 bundle validity. In addition, make sure it does not '
      + `require a pass phrase. Error: ${(err as Error).message}`,
    );
  }
  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag })[forge.pki.oids.keyBag] ?? []),
  ];
  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? [];
  if (keyBags.length !== 1) throw new TlsMaterialError(`the PKCS12 bundle must hold exactly one private key, not ${keyBags.length}`);
  if (certBags.length === 0) throw new TlsMaterialError('the PKCS12 bundle holds no certificate');
  const key = keyFromBag(keyBags[0]);
  const pems = certBags.map(certPemFromBag);
  // The leaf is the certificate the key belongs to; the others are its chain, in bundle order.
  const leafIndex = pems.findIndex((pem) => x509(pem, 'certificate').checkPrivateKey(key));
  if (leafIndex < 0) throw new TlsMaterialError('the private key does not match any certificate of the PKCS12 bundle');
  return assemble(pems[leafIndex], key, pems.filter((_, i) => i !== leafIndex));
}

/** forge decodes RSA keys only; other key types come back as their PrivateKeyInfo ASN.1. */
function keyFromBag(bag: forge.pkcs12.Bag): KeyObject {
  const info = bag.key
    ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key))
    : (bag as { asn1?: forge.asn1.Asn1 }).asn1;
  if (!info) throw new TlsMaterialError('the PKCS12 bundle\'s private key is unreadable');
  const der = Buffer.from(forge.asn1.toDer(info).getBytes(), 'binary');
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch (err) {
    throw new TlsMaterialError(`the PKCS12 bundle's private key is unreadable (${(err as Error).message})`);
  }
}

function certPemFromBag(bag: forge.pkcs12.Bag): string {
  const asn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : (bag as { asn1?: forge.asn1.Asn1 }).asn1;
  if (!asn1) throw new TlsMaterialError('a certificate of the PKCS12 bundle is unreadable');
  return x509(Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'), 'certificate').toString();
}

/** A CA bundle: one or more PEM certificates, nothing else. Answers it normalised. */
export function caBundle(text: string, what: string): string {
  const certs = pemBlocks(text).filter((b) => b.type === 'CERTIFICATE');
  if (certs.length === 0) throw new TlsMaterialError(`The ${what} is invalid. It must be a valid x509 PEM format certificate.`);
  return certs.map((b, i) => x509(b.text, `${what} ${i + 1}`).toString()).join('');
}

/**
 * A PEM CRL, checked to be signed by one of the CA bundle's certificates (Node has no CRL
 * parser: the signature is checked over the DER of tbsCertList with the CA's public key).
 */
export function crlFor(text: string, caPem: string, what: string): string {
  const blocks = pemBlocks(text).filter((b) => b.type === 'X509 CRL');
  if (blocks.length === 0) {
    throw new TlsMaterialError(`The ${what} is invalid. It must be a valid x509 PEM format certificate revocation list.`);
  }
  const cas = pemBlocks(caPem).map((b) => new X509Certificate(b.text));
  for (const block of blocks) {
    const signed = crlSignature(block.text, what);
    if (!cas.some((ca) => signatureValid(signed, ca))) {
      throw new TlsMaterialError(`The ${what} is not signed by the certificate authority given with it.`);
    }
  }
  return blocks.map((b) => b.text).join('');
}

interface SignedCrl {
  tbs: Buffer;
  hash: string | null;
  signature: Buffer;
}

const SIGNATURE_HASH: Record<string, string | null> = {
  '1.2.840.113549.1.1.5': 'sha1', '1.2.840.113549.1.1.11': 'sha256', '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512', '1.2.840.10045.4.3.2': 'sha256', '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512', '1.3.101.112': null,
};

function crlSignature(pem: string, what: string): SignedCrl {
  try {
    const der = forge.pem.decode(pem)[0].body;
    const list = forge.asn1.fromDer(der).value as forge.asn1.Asn1[];
    const [tbs, algorithm, bits] = list;
    const oid = forge.asn1.derToOid(((algorithm.value as forge.asn1.Asn1[])[0].value as string));
    if (!(oid in SIGNATURE_HASH)) throw new Error(`signature algorithm ${oid} is not supported`);
    // A BIT STRING's first byte counts its unused bits (0 for signatures).
    const signature = Buffer.from((bits.value as string).slice(1), 'binary');
    return { tbs: Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary'), hash: SIGNATURE_HASH[oid], signature };
  } catch (err) {
    throw new TlsMaterialError(
      `The ${what} is invalid. It must be a valid x509 PEM format certificate revocation list. Error: ${(err as Error).message}`,
    );
  }
}

function signatureValid(crl: SignedCrl, ca: X509Certificate): boolean {
  try {
    return verify(crl.hash, crl.tbs, ca.publicKey, crl.signature);
  } catch {
    return false;
  }
}
