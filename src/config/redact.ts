/**
 * A URL as it may be printed: the password replaced by `***` (`redis://default:***@127.0.0.1:6379`). Works on
 * strings `new URL` refuses too, since a malformed URL is exactly what an error message quotes.
 */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^:@/]*):([^@/]*)@/i, '$1$2:***@');
}
