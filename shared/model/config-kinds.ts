// Secrets and ConfigMaps, in Kubernetes' shape (`data` base64 and `stringData` for a Secret,
// `data` and `binaryData` for a ConfigMap, kept under `spec` as every Berth object), and the
// ways a pod uses them: `env[].valueFrom` (secretKeyRef, configMapKeyRef), `envFrom`
// (secretRef, configMapRef, prefix) and `volumes[].secret` / `volumes[].configMap` mounted
// through `volumeMounts`.
import * as z from 'zod';
import { memoryBytes } from './quantity.ts';

/** Keys of a Secret or ConfigMap, as Kubernetes: letters, digits, "-", "_" and ".". */
export const configKey = z.string().min(1).max(253).regex(/^[-._a-zA-Z0-9]+$/, 'keys are letters, digits, "-", "_" and "."').refine((k) => k !== '.' && k !== '..', 'a key is not "." or ".."');
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'values of data are base64');

export const secretSpec = z.strictObject({
  type: z.string().max(253).default('Opaque'),
  /** Values base64-encoded; sealed at rest. */
  data: z.record(configKey, base64).default({}),
  /** Values in plain text, written into `data` when stored (write-only, as Kubernetes). */
  stringData: z.record(configKey, z.string()).optional(),
});
export type SecretSpec = z.infer<typeof secretSpec>;

export const configMapSpec = z
  .strictObject({
    data: z.record(configKey, z.string()).default({}),
    /** Values base64-encoded, for what is not UTF-8 text. */
    binaryData: z.record(configKey, base64).optional(),
  })
  .refine((s) => !Object.keys(s.binaryData ?? {}).some((k) => k in s.data), 'a key is in data or in binaryData, not both');
export type ConfigMapSpec = z.infer<typeof configMapSpec>;

const keyRef = z.strictObject({ name: z.string().min(1).max(253), key: configKey, optional: z.boolean().optional() });
const objectRef = z.strictObject({ name: z.string().min(1).max(253), optional: z.boolean().optional() });

/** A container's environment variable: a value, or one key of a Secret or ConfigMap of the pod's project. */
export const containerEnvVar = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names are letters, digits and "_", not starting with a digit'),
    value: z.string().max(32 * 1024).optional(),
    valueFrom: z
      .strictObject({ secretKeyRef: keyRef.optional(), configMapKeyRef: keyRef.optional() })
      .refine((v) => Boolean(v.secretKeyRef) !== Boolean(v.configMapKeyRef), 'give exactly one of secretKeyRef or configMapKeyRef')
      .optional(),
  })
  .refine((e) => !(e.valueFrom && e.value), 'give value or valueFrom, not both');
export type ContainerEnvVar = z.infer<typeof containerEnvVar>;

export const envFromSource = z
  .strictObject({
    prefix: z.string().max(253).regex(/^[A-Za-z_][A-Za-z0-9_]*$|^$/, 'a prefix is letters, digits and "_"').optional(),
    secretRef: objectRef.optional(),
    configMapRef: objectRef.optional(),
  })
  .refine((e) => Boolean(e.secretRef) !== Boolean(e.configMapRef), 'give exactly one of secretRef or configMapRef');
export type EnvFromSource = z.infer<typeof envFromSource>;

const mode = z.number().int().min(0).max(0o777);
const keyToPath = z.strictObject({
  key: configKey,
  path: z.string().min(1).max(253).refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'a relative path without ".."'),
  mode: mode.optional(),
});
const volumeSource = { items: z.array(keyToPath).max(256).optional(), defaultMode: mode.optional(), optional: z.boolean().optional() };

export const volume = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a DNS-1123 label'),
    secret: z.strictObject({ secretName: z.string().min(1).max(253), ...volumeSource }).optional(),
    configMap: z.strictObject({ name: z.string().min(1).max(253), ...volumeSource }).optional(),
    /** A PersistentVolumeClaim of the pod's project, by name. */
    persistentVolumeClaim: z.strictObject({ claimName: z.string().min(1).max(253), readOnly: z.boolean().optional() }).optional(),
    /** A scratch directory that lives as long as the pod's container (memory-backed, counted against sizeLimit). */
    emptyDir: z
      .strictObject({ medium: z.enum(['', 'Memory']).optional(), sizeLimit: z.string().max(32).refine((q) => (memoryBytes(q) ?? 0) > 0, 'bytes with an optional suffix ("64Mi")').optional() })
      .optional(),
  })
  .refine((v) => [v.secret, v.configMap, v.persistentVolumeClaim, v.emptyDir].filter(Boolean).length === 1, 'give exactly one volume source: secret, configMap, persistentVolumeClaim or emptyDir');
export type Volume = z.infer<typeof volume>;

/** Where the container's runtime keeps its own file systems: nothing is mounted over them. */
const RESERVED_MOUNTS = ['/proc', '/sys', '/dev'];

export const volumeMount = z.strictObject({
  name: z.string().min(1).max(63),
  mountPath: z
    .string()
    .min(2)
    .max(1024)
    .startsWith('/')
    .refine((p) => !p.split('/').includes('..') && !/[:,]/.test(p), 'an absolute path without "..", ":" or ","')
    .refine((p) => !RESERVED_MOUNTS.some((r) => p === r || p.startsWith(`${r}/`)), `not under ${RESERVED_MOUNTS.join(', ')}`),
  /** A directory inside the volume to mount instead of its root (made when missing). */
  subPath: z
    .string()
    .max(1024)
    .refine((p) => !p.startsWith('/') && !p.split('/').includes('..') && !/[:,\0]/.test(p), 'a relative path without "..", ":" or ","')
    .optional(),
  readOnly: z.boolean().optional(),
});
export type VolumeMount = z.infer<typeof volumeMount>;

/** Annotation on a pod template: a hash of the Secrets and ConfigMaps it uses, so that a change of one rolls out its DeploymentConfigs. */
export const CONFIG_HASH_ANNOTATION = 'berth.io/config-hash';

/**
 * The fields a Kubernetes manifest gives at the top level of these kinds (`data`, `type`…);
 * Berth keeps them under `spec` and takes them from either place.
 */
export const TOP_LEVEL_FIELDS: Partial<Record<string, readonly string[]>> = {
  Secret: ['type', 'data', 'stringData'],
  ConfigMap: ['data', 'binaryData'],
  Template: ['parameters', 'objects', 'labels', 'message'],
};
