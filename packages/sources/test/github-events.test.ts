import { describe, expect, it } from 'vitest';
import { githubSubjectAndExtensions, gitlabTypeSuffix } from '../src/index.js';
import { githubPayload } from './fixtures.js';

const parse = (name: string) =>
  JSON.parse(githubPayload(name).toString('utf8')) as Record<string, unknown>;

describe('GitHub subject and extensions (docs/knative-behaviour.md §7.7) on real payloads', () => {
  it('issues.labeled: issue number, action, label', () => {
    expect(githubSubjectAndExtensions('issues', parse('issues.labeled'))).toEqual({
      subject: '1',
      extensions: {
        owner: 'Codertocat',
        repository: 'Hello-World',
        sender: 'Codertocat',
        action: 'labeled',
        label: 'bug',
      },
    });
  });

  it('ping: hook id', () => {
    const r = githubSubjectAndExtensions('ping', parse('ping'));
    expect(r.subject).toBe(String(parse('ping')['hook_id']));
  });

  it('an event Knative does not list keeps the common extensions and has no subject', () => {
    const r = githubSubjectAndExtensions('workflow_run', {
      action: 'completed',
      sender: { login: 'me' },
    });
    expect(r).toEqual({ extensions: { sender: 'me', action: 'completed' } });
  });
});

describe('GitLab type mapping (docs/knative-behaviour.md §7.8)', () => {
  it.each([
    ['Push Hook', 'push'],
    ['Merge Request Hook', 'merge_request'],
    ['Tag Push Hook', 'tag_push'],
    ['Wiki Page Hook', 'wiki_page'],
  ])('%s → %s', (header, suffix) => expect(gitlabTypeSuffix(header)).toBe(suffix));

  it('rejects a header not ending in " Hook"', () =>
    expect(() => gitlabTypeSuffix('Push')).toThrow(/does not end with ' Hook'/));
});
