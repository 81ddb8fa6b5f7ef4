/**
 * Where a Hub is: the base URL a client talks to, and the `host:port` that names it in the
 * Docker config file (the same key `docker login` uses).
 */

/** The Hub used when nothing else names one. */
export const DEFAULT_HUB = '127.0.0.1:5000';

/** A Hub address the client cannot use; the message says what was wrong with it. */
export class HubAddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HubAddressError';
  }
}

/** True for names that reach this machine only: 127.0.0.0/8, `localhost` and `[::1]`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Turns `URL` or `HOST[:PORT]` into the Hub's base URL, without a trailing slash. A bare address
 * gets `http://` when its host is loopback, else `https://`.
 *
 * @example
 * normalizeHubUrl('127.0.0.1:5000');       // 'http://127.0.0.1:5000'
 * normalizeHubUrl('hub.example.com');      // 'https://hub.example.com'
 * normalizeHubUrl('http://10.0.0.5:5000/'); // 'http://10.0.0.5:5000'
 */
export function normalizeHubUrl(address: string): string {
  const text = address.trim();
  if (text === '') throw new HubAddressError('the Hub address is empty');
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  let url: URL;
  try {
    url = new URL(hasScheme ? text : `http://${text}`);
  } catch {
    throw new HubAddressError(`"${address}" is not a Hub address: expected HOST:PORT or http(s)://HOST:PORT`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HubAddressError(`"${address}" is not a Hub address: only http:// and https:// are supported`);
  }
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw new HubAddressError(`"${address}" is not a Hub address: give only the scheme, host and port (no path, query or credentials)`);
  }
  if (!hasScheme && !isLoopbackHost(url.hostname)) url.protocol = 'https:';
  return `${url.protocol}//${url.host}`;
}

/**
 * The key of a Hub in the Docker config's `auths`: `host:port`, no scheme (the port is left out
 * when it is the scheme's default, as in the URL).
 *
 * @example
 * hubHost('http://127.0.0.1:5000'); // '127.0.0.1:5000'
 */
export function hubHost(hubUrl: string): string {
  return new URL(normalizeHubUrl(hubUrl)).host;
}

/**
 * The Hub to talk to: the address given on the command line, else `NOCKER_HUB`, else
 * {@link DEFAULT_HUB}; normalized by {@link normalizeHubUrl}.
 *
 * @example
 * resolveHubUrl(undefined, { NOCKER_HUB: 'hub.example.com:443' }); // 'https://hub.example.com'
 */
export function resolveHubUrl(explicit: string | undefined, env: Record<string, string | undefined> = process.env): string {
  const chosen = explicit ?? (env.NOCKER_HUB?.trim() ? env.NOCKER_HUB : undefined) ?? DEFAULT_HUB;
  return normalizeHubUrl(chosen);
}
