import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** PEM files of a test CA and certificates it signed, made with the `openssl` CLI at test time. */
export interface TestCerts {
  readonly dir: string;
  readonly caFile: string;
  readonly caPem: string;
  /** Issues a certificate for 127.0.0.1/localhost (server) or a client; returns the file paths. */
  issue(
    name: string,
    kind: 'server' | 'client',
  ): { certFile: string; keyFile: string; certPem: string };
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT')
      throw new Error('openssl is not installed: apt-get install -y openssl');
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr?.toString() ?? e.message}`);
  }
}

/** Makes a fresh CA (EC P-256) in a temporary directory. */
export function makeTestCa(): TestCerts {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-certs-'));
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-sha256',
      '-days',
      '2',
      '-subj',
      '/CN=Tributary Test CA',
      '-out',
      'ca.pem',
    ],
    dir,
  );
  let serial = 1;
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    caPem: readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
    issue(name, kind) {
      const ext =
        kind === 'server'
          ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
          : 'extendedKeyUsage=clientAuth\n';
      writeFileSync(path.join(dir, `${name}.ext`), ext);
      openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
      openssl(
        ['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`],
        dir,
      );
      openssl(
        [
          'x509',
          '-req',
          '-in',
          `${name}.csr`,
          '-CA',
          'ca.pem',
          '-CAkey',
          'ca.key',
          '-set_serial',
          String(serial++ + Date.now()),
          '-days',
          '2',
          '-sha256',
          '-extfile',
          `${name}.ext`,
          '-out',
          `${name}.pem`,
        ],
        dir,
      );
      return {
        certFile: path.join(dir, `${name}.pem`),
        keyFile: path.join(dir, `${name}.key`),
        certPem: readFileSync(path.join(dir, `${name}.pem`), 'utf8'),
      };
    },
  };
}
