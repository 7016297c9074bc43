/** Event builders for this package's tests (not exported from the package). */
import type { CloudEvent } from '@tributary/core';

/** A valid 1.0 event with the given attributes (type/source/id defaulted) and optional data. */
export function event(
  attributes: Record<string, string> = {},
  data?: string | Uint8Array,
): CloudEvent {
  return {
    attributes: {
      specversion: '1.0',
      id: 'e-1',
      source: '/mycontext',
      type: 'com.example.someevent',
      ...attributes,
    },
    data: typeof data === 'string' ? new TextEncoder().encode(data) : data,
  };
}
