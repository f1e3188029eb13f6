// Password and secret hashing with scrypt from Node's crypto (OpenSSL's implementation):
// a memory-hard KDF the OWASP password guidance lists, maintained with Node itself, and no
// native npm module to build (bcrypt's prebuilt binaries cannot be fetched here, and a
// pure-JS bcrypt is slower for the same strength). Hashes are self-describing, so the cost
// can rise later without invalidating stored ones.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';

const COST = { N: 16384, r: 8, p: 1 } as const;
const KEY_BYTES = 32;

function derive(secret: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_BYTES, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** `scrypt$N$r$p$<salt b64>$<key b64>` */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Constant-time comparison against a stored hash; a malformed hash never matches. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  if (![N, r, p].every(Number.isInteger) || expected.length !== KEY_BYTES) return false;
  const key = await derive(secret, salt, { N, r, p });
  return timingSafeEqual(key, expected);
}

/** A random secret for generated passwords, application-credential secrets and tokens. */
export function randomSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}
