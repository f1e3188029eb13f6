// The client configuration `fulcrum up --auth builtin` leaves in the data dir: a clouds.yaml
// (cloud "fulcrum") and an openrc for the bootstrap admin, both mode 0600. The password
// exists only there (the database keeps its hash): later starts keep it and only point
// auth_url at the address Fulcrum listens on now.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CLOUD_NAME = 'fulcrum';

export interface ClientFiles {
  cloudsYaml: string;
  openrc: string;
}

export function clientFiles(dataDir: string): ClientFiles {
  return { cloudsYaml: join(dataDir, 'clouds.yaml'), openrc: join(dataDir, 'openrc') };
}

const yamlString = (s: string) => JSON.stringify(s);
const shellString = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Writes both files when `password` is new; otherwise refreshes auth_url in the files already there. */
export function writeClientFiles(dataDir: string, authUrl: string, password: string | null): ClientFiles {
  const files = clientFiles(dataDir);
  if (password !== null) {
    writeFileSync(files.cloudsYaml, [
      'clouds:',
      `  ${CLOUD_NAME}:`,
      '    auth:',
      `      auth_url: ${yamlString(authUrl)}`,
      '      username: "admin"',
      `      password: ${yamlString(password)}`,
      '      project_name: "admin"',
      '      user_domain_name: "Default"',
      '      project_domain_name: "Default"',
      '    region_name: "RegionOne"',
      '    interface: "public"',
      '    identity_api_version: 3',
      '',
    ].join('\n'), { mode: 0o600 });
    writeFileSync(files.openrc, [
      `export OS_AUTH_URL=${shellString(authUrl)}`,
      'export OS_USERNAME=admin',
      `export OS_PASSWORD=${shellString(password)}`,
      'export OS_PROJECT_NAME=admin',
      'export OS_USER_DOMAIN_NAME=Default',
      'export OS_PROJECT_DOMAIN_NAME=Default',
      'export OS_REGION_NAME=RegionOne',
      'export OS_INTERFACE=public',
      'export OS_IDENTITY_API_VERSION=3',
      '',
    ].join('\n'), { mode: 0o600 });
    return files;
  }
  if (existsSync(files.cloudsYaml)) {
    const text = readFileSync(files.cloudsYaml, 'utf8').replace(/^(\s*auth_url:).*$/m, `$1 ${yamlString(authUrl)}`);
    writeFileSync(files.cloudsYaml, text, { mode: 0o600 });
  }
  if (existsSync(files.openrc)) {
    const text = readFileSync(files.openrc, 'utf8').replace(/^export OS_AUTH_URL=.*$/m, `export OS_AUTH_URL=${shellString(authUrl)}`);
    writeFileSync(files.openrc, text, { mode: 0o600 });
  }
  return files;
}
