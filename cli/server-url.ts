// The server URL given to `berth login`: a scheme is optional (http for loopback hosts, as the
// all-in-one platform serves plain HTTP there; https elsewhere), a trailing slash is dropped.
import { CliError, EXIT_USAGE } from './errors.ts';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$/i;

export function normalizeServer(given: string): string {
  let text = given.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `${LOOPBACK.test(text.split('/')[0] ?? '') ? 'http' : 'https'}://${text}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`"${given}" is not a server URL`, 'give one like http://127.0.0.1:7080', { exitCode: EXIT_USAGE });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`"${given}" is not an http or https URL`, 'give one like http://127.0.0.1:7080', { exitCode: EXIT_USAGE });
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
