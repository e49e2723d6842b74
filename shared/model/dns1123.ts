// Object names are DNS-1123 labels, as in Kubernetes: they end up in host names, image
// repository paths and container names. The rule on its own, without zod, for the CLI;
// names.ts builds the API's schemas on it.

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_MAX = 63;

/** Why `name` is not a DNS-1123 label, or undefined when it is one. */
export function dns1123Problem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > DNS1123_MAX) return `must be at most ${DNS1123_MAX} characters`;
  if (!DNS1123_LABEL.test(name)) {
    return 'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit';
  }
  return undefined;
}
