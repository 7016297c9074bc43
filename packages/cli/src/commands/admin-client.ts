/**
 * A small client of a running tributary's admin API (docs/operations.md) for the `replay`,
 * `pause` and `resume` commands: JSON in, JSON out, errors printed the kubectl way.
 */

/** The answer of one admin call: the parsed body, or `undefined` after printing why it failed. */
export async function adminCall<T>(
  server: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T | undefined> {
  let url: URL;
  try {
    url = new URL(path, server);
  } catch {
    process.stderr.write(
      `--server '${server}' is not a URL: pass the base URL of a running tributary, e.g. http://127.0.0.1:8080\n`,
    );
    return undefined;
  }
  let res: Response;
  // The admin token of `--admin-token-file` (docs/security.md), when the server requires one.
  const token = process.env['TRIBUTARY_ADMIN_TOKEN'];
  try {
    res = await fetch(url, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        accept: 'application/json',
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    process.stderr.write(
      `cannot reach ${server}: ${cause ?? (err as Error).message} (is \`tributary run\` running there? set --server)\n`,
    );
    return undefined;
  }
  const parsed = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) {
    process.stderr.write(`Error from server (${res.status}): ${parsed.error ?? res.statusText}\n`);
    return undefined;
  }
  return parsed;
}

/** Left-aligned columns separated by three spaces (the `tributary get` layout). */
export function columns(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return `${[header, ...rows].map(line).join('\n')}\n`;
}
