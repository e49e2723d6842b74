// AWS Cloud Map as the tests see it: aws-sdk-client-mock on ServiceDiscoveryClient, keeping
// namespaces, services, instances and operations the way the API Reference describes them, so
// that the adapter's exact requests and its handling of asynchronous operations are exercised.
// AWS documentation, AWS Cloud Map API Reference: CreatePrivateDnsNamespace (OperationId;
// CreatorRequestId makes a retry the same operation; NamespaceAlreadyExists names the existing
// namespace), GetOperation (Operation.Status SUBMITTED | PENDING | SUCCESS | FAIL, Targets),
// ListNamespaces and ListServices (Filters NAME, TYPE, NAMESPACE_ID), ListTagsForResource,
// CreateService (Service; ServiceAlreadyExists with ServiceId), RegisterInstance and
// DeregisterInstance (OperationId; InstanceNotFound), ListInstances (Instances[].Attributes),
// DeleteService (ResourceInUse while it has instances), DeleteNamespace (OperationId;
// ResourceInUse while it has services).
import {
  CreatePrivateDnsNamespaceCommand,
  CreateServiceCommand,
  DeleteNamespaceCommand,
  DeleteServiceCommand,
  DeregisterInstanceCommand,
  GetOperationCommand,
  InstanceNotFound,
  ListInstancesCommand,
  ListNamespacesCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  NamespaceAlreadyExists,
  NamespaceNotFound,
  RegisterInstanceCommand,
  ResourceInUse,
  ServiceAlreadyExists,
  ServiceDiscoveryClient,
  ServiceNotFound,
} from '@aws-sdk/client-servicediscovery';
import { mockClient } from 'aws-sdk-client-mock';

export const CLOUD_MAP_REGION = 'eu-west-1';
export const CLOUD_MAP_ACCOUNT = '123456789012';
type Tags = { Key: string; Value: string }[];
type Filter = { Name: string; Values: string[] };

interface Op { id: string; type: string; polls: number; status: 'SUBMITTED' | 'PENDING' | 'SUCCESS' | 'FAIL'; target: string; done: () => void; fail?: boolean }

export class FakeCloudMap {
  readonly mock = mockClient(ServiceDiscoveryClient);
  namespaces = new Map<string, { Id: string; Arn: string; Name: string; Vpc: string; tags: Tags }>();
  services = new Map<string, { Id: string; Arn: string; Name: string; NamespaceId: string; tags: Tags; DnsConfig: unknown }>();
  instances = new Map<string, Map<string, Record<string, string>>>();
  ops = new Map<string, Op>();
  private byCreator = new Map<string, string>();
  private n = 0;
  /** How many GetOperation calls answer PENDING before an operation finishes. */
  pendingPolls = 1;
  /** The next namespace creation fails (Operation FAIL). */
  failNextNamespace = false;

  private id(prefix: string) {
    this.n++;
    return `${prefix}-${this.n.toString(16).padStart(16, '0')}`;
  }
  private arn(kind: string, id: string) {
    return `arn:aws:servicediscovery:${CLOUD_MAP_REGION}:${CLOUD_MAP_ACCOUNT}:${kind}/${id}`;
  }
  private op(type: string, target: string, done: () => void, fail = false): string {
    const id = `${this.id('op').replace('op-', '')}-operation`;
    this.ops.set(id, { id, type, polls: this.pendingPolls, status: 'SUBMITTED', target, done, fail });
    return id;
  }
  private err<T>(E: new (o: never) => T, fields: Record<string, unknown>): T {
    return new E({ message: String(fields.Message ?? E.name), $metadata: {}, ...fields } as never);
  }

  constructor() {
    this.install();
  }

  install(): void {
    const m = this.mock;
    m.reset();
    m.on(CreatePrivateDnsNamespaceCommand).callsFake((i: { Name: string; Vpc: string; CreatorRequestId: string; Tags?: Tags }) => {
      const again = this.byCreator.get(i.CreatorRequestId);
      if (again) return { OperationId: again };
      const existing = [...this.namespaces.values()].find((n) => n.Name === i.Name);
      if (existing) throw this.err(NamespaceAlreadyExists, { NamespaceId: existing.Id, Message: `Namespace ${i.Name} already exists` });
      const nsId = this.id('ns');
      const fail = this.failNextNamespace;
      this.failNextNamespace = false;
      const opId = this.op('CREATE_NAMESPACE', nsId, () => this.namespaces.set(nsId, { Id: nsId, Arn: this.arn('namespace', nsId), Name: i.Name, Vpc: i.Vpc, tags: i.Tags ?? [] }), fail);
      this.byCreator.set(i.CreatorRequestId, opId);
      return { OperationId: opId };
    });
    m.on(GetOperationCommand).callsFake((i: { OperationId: string }) => {
      const o = this.ops.get(i.OperationId);
      if (!o) throw Object.assign(new Error('OperationNotFound'), { name: 'OperationNotFound' });
      if (o.status !== 'SUCCESS' && o.status !== 'FAIL') {
        if (o.polls > 0) {
          o.polls--;
          o.status = 'PENDING';
        } else if (o.fail) {
          o.status = 'FAIL';
        } else {
          o.done();
          o.status = 'SUCCESS';
        }
      }
      return {
        Operation: {
          Id: o.id, Type: o.type, Status: o.status, CreateDate: new Date(0), UpdateDate: new Date(0),
          Targets: { NAMESPACE: o.target },
          ...(o.status === 'FAIL' ? { ErrorCode: 'CANNOT_CREATE_HOSTED_ZONE', ErrorMessage: 'The VPC is not in this account' } : {}),
        },
      };
    });
    m.on(ListNamespacesCommand).callsFake((i: { Filters?: (Filter & { Condition?: string })[] }) => ({
      Namespaces: [...this.namespaces.values()]
        .filter((n) => (i.Filters ?? []).every((f) => (f.Name === 'NAME' ? f.Values.includes(n.Name) : f.Name === 'TYPE' ? f.Values.includes('DNS_PRIVATE') : true)))
        .map((n) => ({ Id: n.Id, Arn: n.Arn, Name: n.Name, Type: 'DNS_PRIVATE', Properties: { DnsProperties: { HostedZoneId: 'Z0123456789ABCDEFGHIJ' } } })),
    }));
    m.on(ListTagsForResourceCommand).callsFake((i: { ResourceARN: string }) => {
      const id = i.ResourceARN.split('/').pop()!;
      const r = this.namespaces.get(id) ?? this.services.get(id);
      if (!r) throw Object.assign(new Error('ResourceNotFoundException'), { name: 'ResourceNotFoundException' });
      return { Tags: r.tags };
    });
    m.on(CreateServiceCommand).callsFake((i: { Name: string; NamespaceId: string; Tags?: Tags; DnsConfig: unknown; CreatorRequestId: string }) => {
      if (!this.namespaces.has(i.NamespaceId)) throw this.err(NamespaceNotFound, {});
      const existing = [...this.services.values()].find((s) => s.NamespaceId === i.NamespaceId && s.Name === i.Name);
      if (existing) throw this.err(ServiceAlreadyExists, { ServiceId: existing.Id });
      const sId = this.id('srv');
      const svc = { Id: sId, Arn: this.arn('service', sId), Name: i.Name, NamespaceId: i.NamespaceId, tags: i.Tags ?? [], DnsConfig: i.DnsConfig };
      this.services.set(sId, svc);
      this.instances.set(sId, new Map());
      return { Service: { Id: sId, Arn: svc.Arn, Name: i.Name, NamespaceId: i.NamespaceId, DnsConfig: i.DnsConfig, CreatorRequestId: i.CreatorRequestId, CreateDate: new Date(0) } };
    });
    m.on(ListServicesCommand).callsFake((i: { Filters?: Filter[] }) => ({
      Services: [...this.services.values()]
        .filter((s) => (i.Filters ?? []).every((f) => f.Name !== 'NAMESPACE_ID' || f.Values.includes(s.NamespaceId)))
        .map((s) => ({ Id: s.Id, Arn: s.Arn, Name: s.Name, Type: 'DNS_HTTP', InstanceCount: this.instances.get(s.Id)?.size ?? 0, DnsConfig: s.DnsConfig })),
    }));
    m.on(RegisterInstanceCommand).callsFake((i: { ServiceId: string; InstanceId: string; Attributes: Record<string, string> }) => {
      const set = this.instances.get(i.ServiceId);
      if (!set) throw this.err(ServiceNotFound, {});
      set.set(i.InstanceId, { ...i.Attributes });
      return { OperationId: this.op('REGISTER_INSTANCE', i.ServiceId, () => {}) };
    });
    m.on(DeregisterInstanceCommand).callsFake((i: { ServiceId: string; InstanceId: string }) => {
      const set = this.instances.get(i.ServiceId);
      if (!set) throw this.err(ServiceNotFound, {});
      if (!set.delete(i.InstanceId)) throw this.err(InstanceNotFound, {});
      return { OperationId: this.op('DEREGISTER_INSTANCE', i.ServiceId, () => {}) };
    });
    m.on(ListInstancesCommand).callsFake((i: { ServiceId: string }) => {
      const set = this.instances.get(i.ServiceId);
      if (!set) throw this.err(ServiceNotFound, {});
      return { Instances: [...set].map(([Id, Attributes]) => ({ Id, Attributes })) };
    });
    m.on(DeleteServiceCommand).callsFake((i: { Id: string }) => {
      if (!this.services.has(i.Id)) throw this.err(ServiceNotFound, {});
      if (this.instances.get(i.Id)!.size) throw this.err(ResourceInUse, {});
      this.services.delete(i.Id);
      this.instances.delete(i.Id);
      return {};
    });
    m.on(DeleteNamespaceCommand).callsFake((i: { Id: string }) => {
      if (!this.namespaces.has(i.Id)) throw this.err(NamespaceNotFound, {});
      if ([...this.services.values()].some((s) => s.NamespaceId === i.Id)) throw this.err(ResourceInUse, {});
      return { OperationId: this.op('DELETE_NAMESPACE', i.Id, () => this.namespaces.delete(i.Id)) };
    });
  }

  /** The requests sent, as `Command input` pairs, in order. */
  sent(): { name: string; input: Record<string, unknown> }[] {
    return this.mock.calls().map((c) => {
      const cmd = c.args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> };
      return { name: cmd.constructor.name.replace(/Command$/, ''), input: cmd.input };
    });
  }

  /** A namespace made by someone else (not Berth's tags). */
  foreignNamespace(name: string): string {
    const id = this.id('ns');
    this.namespaces.set(id, { Id: id, Arn: this.arn('namespace', id), Name: name, Vpc: 'vpc-0', tags: [{ Key: 'team', Value: 'payments' }] });
    return id;
  }

  /** A service made by someone else (not Berth's tags) in a namespace, by the namespace's name. */
  foreignService(namespace: string, name: string): string {
    const ns = [...this.namespaces.values()].find((n) => n.Name === namespace)!;
    const id = this.id('srv');
    this.services.set(id, { Id: id, Arn: this.arn('service', id), Name: name, NamespaceId: ns.Id, tags: [{ Key: 'team', Value: 'payments' }], DnsConfig: {} });
    this.instances.set(id, new Map());
    return id;
  }

  /** The id of the service `name` in the namespace `namespace`, if there is one. */
  serviceId(namespace: string, name: string): string | undefined {
    const ns = [...this.namespaces.values()].find((n) => n.Name === namespace);
    return [...this.services.values()].find((s) => s.NamespaceId === ns?.Id && s.Name === name)?.Id;
  }

  /** What a name answers: `<instance> <ip>:<port>` per instance, for `<service>.<namespace>`. */
  answers(fqdn: string): string[] {
    const ns = [...this.namespaces.values()].find((n) => fqdn.endsWith(`.${n.Name}`));
    const service = ns && fqdn.slice(0, -ns.Name.length - 1);
    const svc = ns && [...this.services.values()].find((s) => s.NamespaceId === ns.Id && s.Name === service);
    if (!svc) return [];
    return [...this.instances.get(svc.Id)!].map(([id, a]) => `${id} ${a.AWS_INSTANCE_IPV4}:${a.AWS_INSTANCE_PORT}`).sort();
  }
}
