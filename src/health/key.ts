// The heartbeat HMAC key: the configured one, else one generated on first start into
// <dataDir>/heartbeat.key (mode 0600) and read from there afterwards. Never logged.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const KEY_FILE = 'heartbeat.key';

export function heartbeatKey(dataDir: string, configured?: string): string {
  if (configured) return configured;
  const path = join(dataDir, KEY_FILE);
  if (existsSync(path)) {
    const key = readFileSync(path, 'utf8').trim();
    if (key.length >= 16) return key;
    throw new Error(`${path}: a heartbeat key needs at least 16 characters`);
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  // 'wx': two processes starting at once must not overwrite each other's key.
  try {
    writeFileSync(path, key + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return heartbeatKey(dataDir);
    throw err;
  }
  return key;
}
