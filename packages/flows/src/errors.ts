/** Errors of @tributary/flows. */

/** A flow's reference could not be resolved; the message names the role (e.g. `steps[1]`) and what is missing. */
export class WiringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WiringError';
  }
}
