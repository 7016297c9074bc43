/** Errors of @tributary/flows (codes in docs/errors.md). */
import { TributaryError } from '@tributary/core';

export const flowsErrorCodes = {
  TRIB_ERR_FLOW_WIRING: "a Sequence's or Parallel's reference could not be resolved",
} as const;

export type FlowsErrorCode = keyof typeof flowsErrorCodes;

/** A flow's reference could not be resolved; the message names the role (e.g. `steps[1]`) and what is missing. */
export class WiringError extends TributaryError<FlowsErrorCode> {
  constructor(message: string) {
    super('TRIB_ERR_FLOW_WIRING', message);
  }
}
