// Encryption at rest for the key manager's payloads: AES-256-GCM with one key from
// configuration, or generated into the data dir on first start (mode 0600). Each payload gets
// its own random 96-bit IV; the GCM tag makes a tampered or foreign row fail to decrypt
// rather than decrypt to garbage. The key is never logged: nothing here logs at all.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`the secrets key must be ${KEY_BYTES} bytes, not ${key.length}`);
    this.key = Buffer.from(key);
  }

  /** iv ‖ tag ‖ ciphertext, base64. `aad` binds the ciphertext to its row (the secret id). */
  seal(plain: Buffer, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  open(sealed: string, aad: string): Buffer {
    const raw = Buffer.from(sealed, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('sealed payload is truncated');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  }

  /** Keeps the key out of any accidental JSON or inspection (a logged deps object, say). */
  toJSON(): string {
    return '[SecretBox]';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[SecretBox]';
  }
}

/**
 * The key: `configured` (base64 of 32 bytes) when given, else the key file, created with a
 * fresh random key the first time (written 0600 under a temporary name, then linked into place).
 */
export function loadSecretKey(keyFile: string, configured?: string | null): Buffer {
  if (configured) return decodeKey(configured, 'the configured secrets key');
  if (existsSync(keyFile)) return decodeKey(readFileSync(keyFile, 'utf8').trim(), keyFile);
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  const tmp = `${keyFile}.tmp-${process.pid}`;
  writeFileSync(tmp, `${key.toString('base64')}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  // link(2) refuses an existing name: of two processes starting at once, one key wins and
  // the other reads it back, rather than each encrypting with its own.
  try {
    linkSync(tmp, keyFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  return decodeKey(readFileSync(keyFile, 'utf8').trim(), keyFile);
}

function decodeKey(text: string, where: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (key.length !== KEY_BYTES) throw new Error(`${where}: expected base64 of ${KEY_BYTES} bytes`);
  return key;
}
