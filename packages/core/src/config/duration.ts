/**
 * ISO-8601 durations as Knative uses them (`PT0.2S`, `PT1M30S`, `P1D`). Years and months have no
 * fixed length and are refused.
 */
const DURATION =
  /^P(?!$)(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Parses an ISO-8601 duration into milliseconds; throws a message that says what is accepted. */
export function parseIsoDuration(text: string): number {
  const m = DURATION.exec(text);
  if (!m) {
    throw new Error(
      `'${text}' is not an ISO-8601 duration; write e.g. PT0.2S, PT5S, PT1M30S or P1D (years and months are not accepted)`,
    );
  }
  const [, w, d, h, min, s] = m;
  const n = (x: string | undefined) => (x === undefined ? 0 : Number(x));
  return Math.round(((((n(w) * 7 + n(d)) * 24 + n(h)) * 60 + n(min)) * 60 + n(s)) * 1000);
}

/** True when `text` parses as an ISO-8601 duration. */
export function isIsoDuration(text: string): boolean {
  return DURATION.test(text);
}
