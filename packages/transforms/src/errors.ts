/** Errors of @tributary/transforms. Each carries a stable `code`. */

import { TributaryError, type TributaryErrorOptions } from '@tributary/core';

/** Codes of this package's errors. */
export const transformsErrorCodes = {
  TRIB_ERR_TRANSFORM_EXPRESSION: 'a JSONata expression does not compile',
  TRIB_ERR_TRANSFORM_EVALUATION: 'a JSONata expression failed while evaluating an event',
  TRIB_ERR_TRANSFORM_RESULT:
    'a JSONata expression produced something that is not a valid CloudEvent',
  TRIB_ERR_REQUEST_TIMEOUT: 'no reply arrived before the RequestReply timeout',
} as const;

export type TransformsErrorCode = keyof typeof transformsErrorCodes;

/** Base class of this package's errors. */
export class TransformsError extends TributaryError<TransformsErrorCode> {
  constructor(code: TransformsErrorCode, message: string, options?: TributaryErrorOptions) {
    super(code, message, options);
  }
}

/** The expression is not valid JSONata; `position` is the character offset when JSONata gives one. */
export class TransformExpressionError extends TransformsError {
  constructor(
    message: string,
    readonly position?: number,
  ) {
    super('TRIB_ERR_TRANSFORM_EXPRESSION', message);
  }
}

/** Evaluating the expression against one event failed (JSONata runtime error, time or depth limit). */
export class TransformEvaluationError extends TransformsError {
  constructor(message: string) {
    super('TRIB_ERR_TRANSFORM_EVALUATION', message);
  }
}

/** The result is not a valid CloudEvent; the message lists every problem. */
export class TransformResultError extends TransformsError {
  constructor(message: string) {
    super('TRIB_ERR_TRANSFORM_RESULT', message);
  }
}
