/**
 * Tributary's own signing keys (docs/security.md): an ES256 key pair generated on first start,
 * persisted as `signing-keys.json` (mode 0600) in the keys directory when one is given, rotated on
 * request (the previous public key stays in the JWKS so tokens in flight still verify).
 */
import type * as JoseModule from 'jose';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { webcrypto } from 'node:crypto';
import type { JWK } from 'jose';

type CryptoKey = webcrypto.CryptoKey;
import { SigningKeyError } from './errors.js';

type Jose = typeof JoseModule;

/** The algorithm of every key Tributary generates. */
export const SIGNING_ALGORITHM = 'ES256';
/** Public keys kept in the JWKS: the current one and the one before it. */
const KEPT_KEYS = 2;
const FILE = 'signing-keys.json';

interface StoredKey {
  readonly kid: string;
  readonly createdAt: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

/** The current signing key as jose uses it. */
export interface SigningKey {
  readonly kid: string;
  readonly key: CryptoKey;
}

/** The key ring: current key, the public JWKS, rotation. */
export class SigningKeys {
  #keys: StoredKey[] = [];
  #current: Promise<SigningKey> | undefined;
  readonly #dir: string | undefined;
  #jose: Promise<Jose> | undefined;
  readonly #listeners = new Set<() => void>();
  #generating: Promise<void> | undefined;

  /** `dir`: where keys persist (created when missing); without it keys live in memory only. */
  constructor(dir?: string) {
    this.#dir = dir;
  }

  /** The directory keys persist in, if any. */
  get dir(): string | undefined {
    return this.#dir;
  }

  /**
   * Loads the persisted keys (no jose needed). The first key is generated (and persisted) at first
   * use — the first delivery token, JWKS request or rotation — so a run that never uses
   * Tributary's identity never loads jose.
   */
  load(): void {
    if (this.#keys.length === 0) this.#keys = this.#read();
  }

  /** Loads or generates the keys. */
  async init(): Promise<void> {
    this.load();
    if (this.#keys.length === 0) {
      this.#generating ??= this.rotate().then(() => undefined);
      await this.#generating;
    }
  }

  /** Generates a new current key; the previous one stays in the JWKS. Resolves with its kid. */
  async rotate(): Promise<string> {
    const jose = await this.#loadJose();
    const { privateKey, publicKey } = await jose.generateKeyPair(SIGNING_ALGORITHM, {
      extractable: true,
    });
    const publicJwk = await jose.exportJWK(publicKey);
    const kid = await jose.calculateJwkThumbprint(publicJwk);
    const entry: StoredKey = {
      kid,
      createdAt: new Date().toISOString(),
      privateJwk: { ...(await jose.exportJWK(privateKey)), kid, alg: SIGNING_ALGORITHM },
      publicJwk: { ...publicJwk, kid, alg: SIGNING_ALGORITHM, use: 'sig' },
    };
    this.#keys = [entry, ...this.#keys].slice(0, KEPT_KEYS);
    this.#current = undefined;
    this.#write();
    for (const l of this.#listeners) l();
    return kid;
  }

  /** Calls `listener` after every rotation (token caches drop their tokens). */
  onRotate(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The key new tokens are signed with (generated at first use). */
  async current(): Promise<SigningKey> {
    await this.init();
    const k = this.#keys[0];
    if (!k) throw new SigningKeyError('no signing key could be generated');
    this.#current ??= this.#loadJose().then(async (jose) => ({
      kid: k.kid,
      key: (await jose.importJWK(k.privateJwk, SIGNING_ALGORITHM)) as CryptoKey,
    }));
    return this.#current;
  }

  /** The public keys, as served at `/.well-known/jwks.json`. */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.init();
    return { keys: this.#keys.map((k) => k.publicJwk) };
  }

  #loadJose(): Promise<Jose> {
    this.#jose ??= import('jose');
    return this.#jose;
  }

  #read(): StoredKey[] {
    if (!this.#dir) return [];
    const file = path.join(this.#dir, FILE);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new SigningKeyError(`cannot read ${file}: ${(err as Error).message}`);
    }
    try {
      const parsed = JSON.parse(text) as { keys?: StoredKey[] };
      if (!Array.isArray(parsed.keys)) throw new Error('no keys array');
      return parsed.keys;
    } catch (err) {
      throw new SigningKeyError(
        `${file} is not a Tributary key file (${(err as Error).message}); move it away to generate new keys`,
      );
    }
  }

  #write(): void {
    if (!this.#dir) return;
    try {
      mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
      const file = path.join(this.#dir, FILE);
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ keys: this.#keys }, null, 2), { mode: 0o600 });
      renameSync(tmp, file);
    } catch (err) {
      throw new SigningKeyError(`cannot write keys to ${this.#dir}: ${(err as Error).message}`);
    }
  }
}
