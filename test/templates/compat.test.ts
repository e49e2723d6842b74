// OpenShift manifests as Berth takes them, pure: what only restates Berth's behaviour is
// dropped, what asks for more (privilege) is kept for the schema to refuse, and an item may not
// name another project.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/errors.ts';
import { toBerthManifest } from '../../shared/templates/compat.ts';
import { imageNamespaceProblems } from '../../shared/images/namespace.ts';

const dc = (container: Record<string, unknown>, pod: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'DeploymentConfig',
  metadata: { name: 'web', namespace: 'shop', creationTimestamp: null },
  spec: { test: false, template: { metadata: { creationTimestamp: null, labels: { a: 'b' } }, spec: { containers: [{ name: 'web', ...container }], ...pod } } },
  status: {},
});

describe('toBerthManifest', () => {
  it('drops what changes nothing from a DeploymentConfig, and its own namespace', () => {
    const out = toBerthManifest(dc({ imagePullPolicy: 'Always', terminationMessagePath: '/dev/termination-log', securityContext: { capabilities: {}, privileged: false }, resources: {} }, { dnsPolicy: 'ClusterFirst', securityContext: {} }), 'shop', 'items[0]') as any;
    expect(out).toEqual({ apiVersion: 'v1', kind: 'DeploymentConfig', metadata: { name: 'web' }, spec: { template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'web' }] } } } });
  });

  it.each([
    [{ securityContext: { privileged: true } }],
    [{ securityContext: { capabilities: { add: ['NET_ADMIN'] } } }],
    [{ securityContext: { runAsUser: 0 } }],
    [{ resources: { limits: { memory: '1Gi' } } }],
  ])('keeps %j for the schema to judge', (field) => {
    const out = toBerthManifest(dc(field), 'shop', 'items[0]') as any;
    expect(out.spec.template.spec.containers[0]).toEqual({ name: 'web', ...field });
  });

  it('refuses another project, naming the item', () => {
    expect(() => toBerthManifest(dc({}), 'other', 'items[3]')).toThrow(ValidationError);
    expect(() => toBerthManifest(dc({}), 'other', 'items[3]')).toThrow('items[3].metadata.namespace');
  });

  it('drops a ClusterIP type, an empty git ref and contextDir, a source type naming the source given, image stream tag extras', () => {
    expect((toBerthManifest({ kind: 'Service', spec: { type: 'ClusterIP', sessionAffinity: 'None', ports: [] } }, 'p', 'i') as any).spec).toEqual({ ports: [] });
    expect((toBerthManifest({ kind: 'Service', spec: { type: 'LoadBalancer' } }, 'p', 'i') as any).spec).toEqual({ type: 'LoadBalancer' });
    const bc = toBerthManifest({ kind: 'BuildConfig', spec: { source: { type: 'Git', git: { uri: 'u', ref: '' }, contextDir: '' }, postCommit: {} } }, 'p', 'i') as any;
    expect(bc.spec).toEqual({ source: { git: { uri: 'u' } } });
    const binaryNamedGit = toBerthManifest({ kind: 'BuildConfig', spec: { source: { type: 'Git', binary: {} } } }, 'p', 'i') as any;
    expect(binaryNamedGit.spec.source.type).toBe('Git');
    const is = toBerthManifest({ kind: 'ImageStream', spec: { tags: [{ name: '1', annotations: { x: 'y' }, referencePolicy: { type: 'Local' } }] } }, 'p', 'i') as any;
    expect(is.spec.tags).toEqual([{ name: '1' }]);
  });

  it('leaves the item it was given as it was', () => {
    const given = dc({ imagePullPolicy: 'Always' });
    toBerthManifest(given, 'shop', 'i');
    expect(given.spec.template.spec.containers[0]).toHaveProperty('imagePullPolicy');
  });
});

describe('imageNamespaceProblems', () => {
  const trigger = (namespace?: string) => ({ triggers: [{ type: 'ImageChange', imageChangeParams: { from: { kind: 'ImageStreamTag', name: 'x:1', ...(namespace ? { namespace } : {}) } } }] });
  it.each([
    [undefined, 0],
    ['shop', 0],
    ['openshift', 0],
    ['bank', 1],
  ])('a DeploymentConfig following namespace %s has %i problems', (ns, n) => {
    expect(imageNamespaceProblems('DeploymentConfig', trigger(ns), 'shop')).toHaveLength(n);
  });
});
