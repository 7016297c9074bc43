import { describe, expect, it } from 'vitest';
import {
  BackendUnavailableError,
  BatchTooLargeError,
  CloudEventDecodeError,
  ConfigError,
  ProviderUnknownError,
  RedeliverLaterError,
  SecretMissingError,
  TributaryError,
  codes,
  hasErrorCode,
} from './index.js';

describe('TributaryError (docs/errors.md)', () => {
  it('carries code, message, cause and details; name is the concrete class', () => {
    const cause = new Error('disk full');
    const err = new TributaryError('TRIB_ERR_EXAMPLE', 'it broke', {
      cause,
      details: { field: 'spec.x' },
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('TRIB_ERR_EXAMPLE');
    expect(err.message).toBe('it broke');
    expect(err.cause).toBe(cause);
    expect(err.details).toEqual({ field: 'spec.x' });
    expect(err.name).toBe('TributaryError');
    expect(new TributaryError('TRIB_ERR_EXAMPLE', 'x').details).toBeUndefined();
  });

  it("every core error derives from it with a code from the package's list", () => {
    const errors = [
      new ConfigError([]),
      new SecretMissingError('no secret'),
      new ProviderUnknownError('broker class', 'Nope', ['MTChannelBasedBroker']),
      new CloudEventDecodeError('bad'),
      new BackendUnavailableError('down', 3),
      new BatchTooLargeError('too many', 10),
      new RedeliverLaterError(100, 2),
    ];
    for (const err of errors) {
      expect(err).toBeInstanceOf(TributaryError);
      expect(Object.keys(codes)).toContain(err.code);
      expect(err.name).toBe(err.constructor.name);
    }
    expect(new BackendUnavailableError('down', 3).code).toBe('TRIB_ERR_BACKEND_UNAVAILABLE');
    expect(new BatchTooLargeError('too many', 10).code).toBe('TRIB_ERR_BATCH_TOO_LARGE');
  });

  it('hasErrorCode tells errors apart by code, also for a copy of the class from elsewhere', () => {
    const foreign = Object.assign(new Error('down'), { code: 'TRIB_ERR_BACKEND_UNAVAILABLE' });
    expect(hasErrorCode(foreign, 'TRIB_ERR_BACKEND_UNAVAILABLE')).toBe(true);
    expect(hasErrorCode(new BackendUnavailableError('down'), 'TRIB_ERR_BACKEND_UNAVAILABLE')).toBe(
      true,
    );
    const sameName = new Error('down');
    sameName.name = 'BackendUnavailableError';
    expect(hasErrorCode(sameName, 'TRIB_ERR_BACKEND_UNAVAILABLE')).toBe(false);
    expect(
      hasErrorCode({ code: 'TRIB_ERR_BACKEND_UNAVAILABLE' }, 'TRIB_ERR_BACKEND_UNAVAILABLE'),
    ).toBe(false);
    expect(hasErrorCode(undefined, 'TRIB_ERR_BACKEND_UNAVAILABLE')).toBe(false);
  });
});
