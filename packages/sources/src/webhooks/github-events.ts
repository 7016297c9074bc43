/**
 * Subject and extensions of GitHub events, after Knative's GitHubSource (docs/knative-behaviour.md §7.7). Events
 * Knative does not list get the common extensions (owner, repository, installation, sender, action)
 * and no subject.
 */
type Json = Record<string, unknown>;

const at = (v: unknown, ...path: string[]): unknown => {
  let cur = v;
  for (const p of path)
    cur = cur !== null && typeof cur === 'object' ? (cur as Json)[p] : undefined;
  return cur;
};
const str = (v: unknown): string | undefined =>
  typeof v === 'string'
    ? v
    : typeof v === 'number' || typeof v === 'boolean'
      ? String(v)
      : undefined;
const lastPathPortion = (url: unknown): string | undefined => {
  const s = str(url);
  return s === undefined ? undefined : s.slice(s.lastIndexOf('/') + 1);
};

interface Rule {
  readonly subject: (p: Json) => string | undefined;
  /** Extensions beyond the common ones: name → path in the payload. */
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

const id =
  (...path: string[]) =>
  (p: Json) =>
    str(at(p, ...path));

const RULES: Readonly<Record<string, Rule>> = {
  push: {
    subject: (p) => lastPathPortion(p['compare']),
    extra: {
      pusher: ['pusher', 'name'],
      ref: ['ref'],
      created: ['created'],
      deleted: ['deleted'],
      forced: ['forced'],
    },
  },
  pull_request: {
    subject: id('pull_request', 'number'),
    extra: { number: ['number'], label: ['label', 'name'], assignee: ['assignee', 'login'] },
  },
  pull_request_review: { subject: id('review', 'id'), extra: { review: ['review', 'state'] } },
  pull_request_review_comment: { subject: id('comment', 'id') },
  issues: {
    subject: id('issue', 'number'),
    extra: { label: ['label', 'name'], assignee: ['assignee', 'login'] },
  },
  issue_comment: { subject: (p) => lastPathPortion(at(p, 'comment', 'html_url')) },
  commit_comment: { subject: (p) => lastPathPortion(at(p, 'comment', 'html_url')) },
  create: { subject: id('ref_type'), extra: { ref: ['ref'] } },
  delete: { subject: id('ref_type'), extra: { ref: ['ref'] } },
  release: { subject: id('release', 'tag_name'), extra: { release: ['release', 'name'] } },
  status: { subject: id('sha'), extra: { state: ['state'], name: ['name'], context: ['context'] } },
  ping: { subject: id('hook_id') },
  check_run: { subject: id('check_run', 'id') },
  check_suite: { subject: id('check_suite', 'id') },
  deployment: { subject: id('deployment', 'id') },
  deployment_status: { subject: id('deployment', 'id') },
  fork: { subject: id('forkee', 'id') },
  gollum: {
    subject: (p) =>
      Array.isArray(p['pages'])
        ? p['pages'].map((pg) => str(at(pg, 'page_name')) ?? '').join(',')
        : undefined,
  },
  installation: { subject: id('installation', 'id') },
  installation_repositories: { subject: id('installation', 'id') },
  label: { subject: id('label', 'name'), extra: { label: ['label', 'name'] } },
  member: { subject: id('member', 'id') },
  membership: { subject: id('member', 'id'), extra: { scope: ['scope'] } },
  milestone: { subject: id('milestone', 'number') },
  organization: { subject: id('action') },
  org_block: { subject: id('action') },
  page_build: { subject: id('id') },
  project: { subject: id('action') },
  project_card: { subject: id('action') },
  project_column: { subject: id('action') },
  public: { subject: id('repository', 'id') },
  repository: { subject: id('repository', 'id') },
  repository_vulnerability_alert: { subject: id('alert', 'id') },
  security_advisory: { subject: id('security_advisory', 'ghsa_id') },
  team: { subject: id('team', 'id') },
  team_add: { subject: id('repository', 'id') },
  watch: { subject: id('repository', 'id') },
};

/** The CloudEvent subject (if any) and extensions for a GitHub event and its parsed payload. */
export function githubSubjectAndExtensions(
  event: string,
  payload: Json,
): { subject?: string; extensions: Record<string, string> } {
  const rule = RULES[event];
  const candidates: Record<string, unknown> = {
    owner: at(payload, 'repository', 'owner', 'login') ?? at(payload, 'organization', 'login'),
    repository: at(payload, 'repository', 'name'),
    installation: at(payload, 'installation', 'id'),
    sender: at(payload, 'sender', 'login'),
    action: payload['action'],
  };
  for (const [name, path] of Object.entries(rule?.extra ?? {}))
    candidates[name] = at(payload, ...path);
  const extensions: Record<string, string> = {};
  for (const [name, value] of Object.entries(candidates)) {
    const s = str(value);
    if (s !== undefined && s !== '') extensions[name] = s;
  }
  const subject = rule?.subject(payload);
  return subject === undefined || subject === '' ? { extensions } : { subject, extensions };
}
