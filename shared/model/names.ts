// The zod schemas of object names (DNS-1123 labels, see dns1123.ts), labels and annotations.
import * as z from 'zod';
import { dns1123Problem } from './dns1123.ts';

export { DNS1123_LABEL, DNS1123_MAX, dns1123Problem } from './dns1123.ts';

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
