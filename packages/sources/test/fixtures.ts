import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SHARED = '/work/shared/fixtures';
const LOCAL = fileURLToPath(new URL('./fixtures/', import.meta.url));

const GITHUB: Record<string, string> = {
  push: 'push/payload.json',
  'pull_request.opened': 'pull_request/opened.payload.json',
  'issues.labeled': 'issues/labeled.payload.json',
  ping: 'ping/payload.json',
};

/** Raw bytes of a GitHub payload example (shared fixtures when present, else the copies here). */
export function githubPayload(name: keyof typeof GITHUB | string): Buffer {
  const shared = `${SHARED}/github-webhooks/payload-examples/${GITHUB[name]}`;
  return readFileSync(existsSync(shared) ? shared : `${LOCAL}github/${name}.payload.json`);
}

/** Raw bytes of a GitLab payload (`push`, `merge_request`, `tag_push`). */
export function gitlabPayload(name: string): Buffer {
  const shared = `${SHARED}/gitlab-webhooks/payload-examples/${name}.json`;
  return readFileSync(existsSync(shared) ? shared : `${LOCAL}gitlab/${name}.json`);
}
