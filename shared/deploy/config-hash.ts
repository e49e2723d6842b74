// A DeploymentConfig rolls out again when a Secret or ConfigMap its pods use changes (as a
// ConfigChange): each revision's pod template carries a hash of what those objects held when it
// was made (CONFIG_HASH_ANNOTATION), so a change of the data changes the template's hash. The
// hash is over the stored form (a Secret's values sealed; a value written again unchanged keeps
// its sealed form), so it needs no key and says nothing of the values.
import { createHash } from 'node:crypto';
import { CONFIG_HASH_ANNOTATION } from '../model/config-kinds.ts';
import type { PodTemplate } from '../model/deploy-kinds.ts';
import type { DeploymentConfig } from '../model/objects.ts';
import type { BerthObject } from '../model/types.ts';
import type { ObjectStore } from '../store/ports.ts';

/** The Secrets and ConfigMaps a pod template names (env, envFrom, volumes), as `Secret/name`. */
export function configRefsOf(template: PodTemplate): string[] {
  const refs = new Set<string>();
  for (const c of template.spec.containers) {
    for (const e of c.env ?? []) {
      if (e.valueFrom?.secretKeyRef) refs.add(`Secret/${e.valueFrom.secretKeyRef.name}`);
      if (e.valueFrom?.configMapKeyRef) refs.add(`ConfigMap/${e.valueFrom.configMapKeyRef.name}`);
    }
    for (const f of c.envFrom ?? []) refs.add(f.secretRef ? `Secret/${f.secretRef.name}` : `ConfigMap/${f.configMapRef!.name}`);
  }
  for (const v of template.spec.volumes ?? []) {
    // Claims and scratch directories hold no configuration: a change of a claim rolls nothing out.
    if (v.secret) refs.add(`Secret/${v.secret.secretName}`);
    else if (v.configMap) refs.add(`ConfigMap/${v.configMap.name}`);
  }
  return [...refs].sort();
}

/** A short hash of what the referenced objects hold now (a missing one counts as missing); undefined when none is referenced. */
export async function configHash(store: ObjectStore, project: string, template: PodTemplate): Promise<string | undefined> {
  const refs = configRefsOf(template);
  if (!refs.length) return undefined;
  const h = createHash('sha256');
  for (const ref of refs) {
    const [kind, name] = ref.split('/') as [string, string];
    const o = await store.get<BerthObject<{ data?: Record<string, string>; binaryData?: Record<string, string> }>>({ kind, project, name });
    const data = o ? Object.entries({ ...o.spec.data, ...Object.fromEntries(Object.entries(o.spec.binaryData ?? {}).map(([k, v]) => [`binary:${k}`, v])) }).sort(([a], [b]) => a.localeCompare(b)) : null;
    h.update(`${ref}\n${JSON.stringify(data)}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * The DeploymentConfig with its template stamped with the current config hash (as a new revision
 * is made of it); one that uses no Secret or ConfigMap is returned as it is.
 */
export async function withConfigHash(store: ObjectStore, dc: DeploymentConfig): Promise<DeploymentConfig> {
  const hash = await configHash(store, dc.metadata.project, dc.spec.template);
  const { annotations, ...meta } = dc.spec.template.metadata;
  if (!hash && !(annotations && CONFIG_HASH_ANNOTATION in annotations)) return dc;
  const { [CONFIG_HASH_ANNOTATION]: _old, ...rest } = annotations ?? {};
  const stamped = hash ? { ...rest, [CONFIG_HASH_ANNOTATION]: hash } : rest;
  return { ...dc, spec: { ...dc.spec, template: { ...dc.spec.template, metadata: { ...meta, annotations: stamped } } } };
}
