// What a pod's container gets from the Secrets and ConfigMaps of its project when its host
// starts it: the environment (`envFrom`, then `env` with `valueFrom`) and the files of its
// `volumes` (secret, configMap) at their mount paths. Objects are always read from the pod's own
// project, whatever a name says. A referenced object or key that is missing (and not optional)
// keeps the container from starting: PodConfigError, whose message names the object and the key,
// never a value.
import { BerthError } from '../errors.ts';
import type { ConfigMapSpec, SecretSpec, Volume } from '../model/config-kinds.ts';
import type { Pod } from '../model/objects.ts';
import type { BerthObject } from '../model/types.ts';
import type { ObjectStore } from '../store/ports.ts';
import { openValue } from './secret-codec.ts';
import type { SecretBox } from './ports.ts';

/** One file of a volume: its path under the mount, its bytes, its mode. */
export interface PodFile {
  path: string;
  content: Buffer;
  mode: number;
}

/** A volume of Secret or ConfigMap files, where the container mounts it. */
export interface PodFileVolume {
  name: string;
  mountPath: string;
  readOnly: boolean;
  files: PodFile[];
}

export interface PodConfig {
  /** Variables from Secrets and ConfigMaps and plain ones, in the order the container gets them (a later one of the same name wins). */
  env: { name: string; value: string; secretKeyRef?: { name: string; key: string } }[];
  volumes: PodFileVolume[];
}

/** The container cannot be started as its spec says (Kubernetes' CreateContainerConfigError). */
export class PodConfigError extends BerthError {
  constructor(message: string) {
    super(422, 'CreateContainerConfigError', message);
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DEFAULT_MODE = 0o644;

type Source = { kind: 'Secret' | 'ConfigMap'; name: string };

/** Reads the Secrets and ConfigMaps of one project once each, their values as bytes. */
function reader(store: ObjectStore, box: SecretBox | undefined, project: string) {
  const cache = new Map<string, Promise<Map<string, Buffer> | undefined>>();
  async function load(src: Source): Promise<Map<string, Buffer> | undefined> {
    if (src.kind === 'Secret') {
      const o = await store.get<BerthObject<SecretSpec>>({ kind: 'Secret', project, name: src.name });
      if (!o) return undefined;
      const entries = await Promise.all(
        Object.entries(o.spec.data ?? {}).map(async ([k, v]) => {
          if (!box && v.startsWith('sealed:')) throw new PodConfigError(`secret "${src.name}" is sealed and this host has no key to open it`);
          return [k, Buffer.from(box ? await openValue(box, v) : v, 'base64')] as const;
        }),
      );
      return new Map(entries);
    }
    const o = await store.get<BerthObject<ConfigMapSpec>>({ kind: 'ConfigMap', project, name: src.name });
    if (!o) return undefined;
    return new Map([
      ...Object.entries(o.spec.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'utf8')] as const),
      ...Object.entries(o.spec.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')] as const),
    ]);
  }
  return (src: Source) => {
    const key = `${src.kind}/${src.name}`;
    let p = cache.get(key);
    if (!p) cache.set(key, (p = load(src)));
    return p;
  };
}

const label = (src: Source) => `${src.kind === 'Secret' ? 'secret' : 'configmap'} "${src.name}"`;

/**
 * The environment and files of a pod's container, resolved from its project's Secrets and
 * ConfigMaps; `box` opens sealed Secret values.
 * @example const { env, volumes } = await resolvePodConfig(store, box, pod)
 */
export async function resolvePodConfig(store: ObjectStore, box: SecretBox | undefined, pod: Pod): Promise<PodConfig> {
  const read = reader(store, box, pod.metadata.project);
  const c = pod.spec.containers[0]!;
  const env: PodConfig['env'] = [];

  for (const from of c.envFrom ?? []) {
    const src: Source = from.secretRef ? { kind: 'Secret', name: from.secretRef.name } : { kind: 'ConfigMap', name: from.configMapRef!.name };
    const optional = (from.secretRef ?? from.configMapRef)?.optional === true;
    const data = await read(src);
    if (!data) {
      if (optional) continue;
      throw new PodConfigError(`${label(src)} not found`);
    }
    for (const [k, v] of data) {
      const name = `${from.prefix ?? ''}${k}`;
      // Keys that are no variable names (`tls.crt`) are left out, as Kubernetes does.
      if (ENV_NAME.test(name)) env.push({ name, value: v.toString('utf8'), ...(src.kind === 'Secret' ? { secretKeyRef: { name: src.name, key: k } } : {}) });
    }
  }
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
    if (!ref) {
      env.push({ name: e.name, value: e.value ?? '' });
      continue;
    }
    const src: Source = { kind: e.valueFrom!.secretKeyRef ? 'Secret' : 'ConfigMap', name: ref.name };
    const data = await read(src);
    const value = data?.get(ref.key);
    if (value === undefined) {
      if (ref.optional) continue;
      throw new PodConfigError(data ? `couldn't find key ${ref.key} in ${label(src)} (for the variable ${e.name})` : `${label(src)} not found (for the variable ${e.name})`);
    }
    env.push({ name: e.name, value: value.toString('utf8'), ...(src.kind === 'Secret' ? { secretKeyRef: { name: src.name, key: ref.key } } : {}) });
  }

  const volumes: PodFileVolume[] = [];
  const byName = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
  for (const m of c.volumeMounts ?? []) {
    const v = byName.get(m.name);
    if (!v) throw new PodConfigError(`volume "${m.name}" is not in spec.volumes`);
    // Claims and scratch directories are the host's to mount (shared/volumes/pod-volumes.ts).
    if (v.persistentVolumeClaim || v.emptyDir) continue;
    const files = await volumeFiles(read, v);
    if (files) volumes.push({ name: v.name, mountPath: m.mountPath, readOnly: true, files });
  }
  return { env, volumes };
}

/** The files of one volume; undefined for an optional one whose object is missing. */
async function volumeFiles(read: ReturnType<typeof reader>, v: Volume): Promise<PodFile[] | undefined> {
  const source = v.secret ?? v.configMap!;
  const src: Source = v.secret ? { kind: 'Secret', name: v.secret.secretName } : { kind: 'ConfigMap', name: v.configMap!.name };
  const data = await read(src);
  if (!data) {
    if (source.optional) return [];
    throw new PodConfigError(`${label(src)} not found (for the volume ${v.name})`);
  }
  const mode = source.defaultMode ?? DEFAULT_MODE;
  if (!source.items) return [...data].map(([path, content]) => ({ path, content, mode }));
  const files: PodFile[] = [];
  for (const item of source.items) {
    const content = data.get(item.key);
    if (content === undefined) {
      if (source.optional) continue;
      throw new PodConfigError(`couldn't find key ${item.key} in ${label(src)} (for the volume ${v.name})`);
    }
    files.push({ path: item.path, content, mode: item.mode ?? mode });
  }
  return files;
}
