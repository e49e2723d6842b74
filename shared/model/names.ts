// Object names are DNS-1123 labels, as in Kubernetes: they end up in host names, image
// repository paths and container names.
import * as z from 'zod';

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

export const dnsName = z.string().superRefine((v, ctx) => {
  const problem = dns1123Problem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Label keys may carry a DNS prefix (`berth.io/app`); values are short and plain. */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

export const labelMap = z.record(
  z.string().regex(LABEL_KEY, 'label keys are [prefix/]name of letters, digits, "-", "_" and "."'),
  z.string().max(63).regex(LABEL_VALUE, 'label values are at most 63 letters, digits, "-", "_" and "."'),
);

export const annotationMap = z.record(z.string().max(253), z.string().max(64 * 1024));
