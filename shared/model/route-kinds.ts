// The Route kind, after OpenShift 3's route.openshift.io: a public host name (and optional path)
// in front of a Service, with weighted alternate backends, TLS termination at the router
// (edge, re-encrypt) or in the app (passthrough), and the router's verdict in status.
import * as z from 'zod';
import { condition } from './deploy-kinds.ts';
import { annotationMap } from './names.ts';
import { routerAnnotationProblems } from './route-annotations.ts';
import { certificates, privateKey } from './route-pem.ts';

const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a DNS-1123 label');
const HOST_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Why `host` is not a DNS name a router can serve, or undefined when it is. */
export function hostProblem(host: string, wildcardPolicy: 'None' | 'Subdomain' = 'None'): string | undefined {
  if (host.length > 253) return 'a host name has at most 253 characters';
  const labels = host.split('.');
  if (labels[0] === '*') {
    if (wildcardPolicy !== 'Subdomain') return 'a wildcard host ("*.") needs wildcardPolicy Subdomain';
    labels.shift();
    if (labels.length < 2) return 'a wildcard host needs a domain of at least two labels after "*."';
  }
  if (labels.length < 2) return 'a route host is a DNS name of at least two labels, such as shop.example.com';
  const bad = labels.find((l) => !HOST_LABEL.test(l));
  if (bad !== undefined) return `"${bad}" is not a DNS label (lower-case letters, digits and "-", at most 63 characters)`;
  return undefined;
}

export const routeTarget = z.strictObject({
  kind: z.literal('Service').default('Service'),
  name: dnsLabel,
  /** Share of the traffic relative to the other backends (0 sends none), 0-256. */
  weight: z.number().int().min(0).max(256).default(100),
});
export type RouteTarget = z.infer<typeof routeTarget>;

const pem = z.string().max(65_536);
export const TERMINATIONS = ['edge', 'passthrough', 'reencrypt'] as const;
export type Termination = (typeof TERMINATIONS)[number];

export const routeTls = z.strictObject({
  termination: z.enum(TERMINATIONS),
  certificate: pem.optional(),
  key: pem.optional(),
  caCertificate: pem.optional(),
  destinationCACertificate: pem.optional(),
  /** What plain HTTP gets: nothing (None), the app (Allow) or a redirect to HTTPS (Redirect). */
  insecureEdgeTerminationPolicy: z.enum(['None', 'Allow', 'Redirect']).default('None'),
});
export type RouteTls = z.infer<typeof routeTls>;

export const routeSpec = z
  .strictObject({
    /** The public host name; generated as `<route>-<project>.<apps domain>` when empty. */
    host: z.string().max(253).default(''),
    /** Only requests whose path starts with this go to the route. */
    path: z.string().max(2048).optional(),
    to: routeTarget,
    alternateBackends: z.array(routeTarget).max(3).default([]),
    /** The service port (number or name) traffic goes to; the service's first port by default. */
    port: z.strictObject({ targetPort: z.union([z.number().int().min(1).max(65535), z.string().min(1).max(15)]) }).optional(),
    tls: routeTls.optional(),
    wildcardPolicy: z.enum(['None', 'Subdomain']).default('None'),
  })
  .superRefine((s, ctx) => {
    const fail = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (s.host) {
      const problem = hostProblem(s.host, s.wildcardPolicy);
      if (problem) fail(['host'], problem);
    }
    if (s.path !== undefined && !s.path.startsWith('/')) fail(['path'], 'a path starts with "/"');
    if (s.path !== undefined && /\s/.test(s.path)) fail(['path'], 'a path has no white space');
    const names = [s.to.name, ...s.alternateBackends.map((b) => b.name)];
    if (new Set(names).size !== names.length) fail(['alternateBackends'], 'each service appears once among to and alternateBackends');
    const tls = s.tls;
    if (!tls) return;
    if (tls.termination === 'passthrough') {
      if (s.path !== undefined && s.path !== '/') fail(['path'], 'a passthrough route cannot have a path: the router does not see the request');
      for (const f of ['certificate', 'key', 'caCertificate', 'destinationCACertificate'] as const) {
        if (tls[f]) fail(['tls', f], 'a passthrough route carries no certificates: the app terminates TLS');
      }
      if (tls.insecureEdgeTerminationPolicy === 'Allow') fail(['tls', 'insecureEdgeTerminationPolicy'], 'a passthrough route can only refuse (None) or redirect plain HTTP');
    }
    if (tls.termination === 'edge' && tls.destinationCACertificate) fail(['tls', 'destinationCACertificate'], 'only a reencrypt route has a destination CA certificate');
    if (tls.key && !tls.certificate) fail(['tls', 'key'], 'a key needs its certificate');
    if (tls.certificate && !tls.key) fail(['tls', 'certificate'], 'a certificate needs its key');
    // Every PEM block of every field, as HAProxy reads them (see route-pem.ts).
    const chain = (f: 'certificate' | 'caCertificate' | 'destinationCACertificate') => {
      if (!tls[f]) return undefined;
      const out = certificates(tls[f], { servedKey: f !== 'destinationCACertificate' });
      if (out.problem !== undefined) fail(['tls', f], out.problem);
      return out.certs;
    };
    const served = chain('certificate');
    chain('caCertificate');
    chain('destinationCACertificate');
    if (tls.key) {
      const key = privateKey(tls.key);
      if (key.problem !== undefined) fail(['tls', 'key'], key.problem);
      else if (served?.length && !served[0]!.checkPrivateKey(key.key)) fail(['tls', 'key'], 'the key does not belong to the certificate (the first block of tls.certificate)');
    }
  });
export type RouteSpec = z.infer<typeof routeSpec>;

/**
 * A Route's annotations: the router annotations (route-annotations.ts) must parse; the API
 * refuses a Route whose router annotation HAProxy would refuse, naming the annotation.
 */
export const routeAnnotations = annotationMap.superRefine((annotations, ctx) => {
  for (const { key, message } of routerAnnotationProblems(annotations)) ctx.addIssue({ code: 'custom', path: [key], message });
});

export const routeIngress = z.object({
  host: z.string(),
  routerName: z.string(),
  wildcardPolicy: z.string().optional(),
  conditions: z.array(condition).default([]),
});
export type RouteIngress = z.infer<typeof routeIngress>;
export const routeStatus = z.object({ ingress: z.array(routeIngress).default([]) });
export type RouteStatus = z.infer<typeof routeStatus>;
