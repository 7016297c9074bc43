import { describe, expect, it } from 'vitest';
import { compileAttributesFilter, filterAttribute } from './attributes.js';
import { compileTriggerFilter } from './trigger-filter.js';
import { event } from '../test/events.js';

describe('legacy filter.attributes', () => {
  it('docs/knative-behaviour.md §13 check 4: "" means present and non-empty', () => {
    const f = compileTriggerFilter({
      filter: {
        attributes: { type: 'com.example.someevent', source: '/mycontext', myextension: '' },
      },
    });
    expect(f.match(event())).toBe('fail');
    expect(f.match(event({ myextension: 'my-extension-value' }))).toBe('pass');

    const subject = compileTriggerFilter({
      filter: { attributes: { type: 'com.example.someevent', source: '/mycontext', subject: '' } },
    });
    expect(subject.match(event())).toBe('fail');
    expect(subject.match(event({ subject: 'x' }))).toBe('pass');

    expect(
      compileTriggerFilter({ filter: { attributes: { type: '', source: '' } } }).match(event()),
    ).toBe('pass');
  });

  it('is a case-sensitive AND of equalities', () => {
    const f = compileAttributesFilter({ type: 'com.example.someevent', source: '/mycontext' });
    expect(f.match(event())).toBe('pass');
    expect(f.match(event({ type: 'com.example.SomeEvent' }))).toBe('fail');
    expect(f.match(event({ source: '/other' }))).toBe('fail');
  });

  it('yields none for an absent or empty map', () => {
    expect(compileAttributesFilter(undefined).match(event())).toBe('none');
    expect(compileAttributesFilter({}).match(event())).toBe('none');
    expect(compileTriggerFilter({}).match(event())).toBe('none');
    expect(compileTriggerFilter({ filter: {} }).match(event())).toBe('none');
  });

  it('treats spec attributes as always present, extensions as absent when unset', () => {
    const e = event();
    expect(filterAttribute(e, 'subject')).toBe('');
    expect(filterAttribute(e, 'time')).toBe('');
    expect(filterAttribute(e, 'datacontentencoding')).toBe('');
    expect(filterAttribute(e, 'myext')).toBeUndefined();
    expect(filterAttribute(e, 'constructor')).toBeUndefined();
    expect(compileAttributesFilter({ subject: 'x' }).match(e)).toBe('fail');
  });

  it('maps schemaurl to dataschema and datamediatype to the media type without parameters', () => {
    const e = event({
      dataschema: 'https://s.example/v1',
      datacontenttype: 'application/json; charset=utf-8',
    });
    expect(compileAttributesFilter({ schemaurl: 'https://s.example/v1' }).match(e)).toBe('pass');
    expect(compileAttributesFilter({ datamediatype: 'application/json' }).match(e)).toBe('pass');
    expect(compileAttributesFilter({ datacontenttype: 'application/json' }).match(e)).toBe('fail');
    const v03 = event({ specversion: '0.3', schemaurl: 'https://s.example/v0' });
    expect(compileAttributesFilter({ dataschema: 'https://s.example/v0' }).match(v03)).toBe('pass');
    expect(compileAttributesFilter({ datamediatype: '' }).match(event())).toBe('fail');
  });
});
