// Service discovery on AWS with AWS Cloud Map: one private DNS namespace per project
// (`<project>.svc`, a Route 53 private hosted zone associated with Berth's VPC) and, per Berth
// Service, Cloud Map services with A and SRV records, multivalue answers, 5 s TTL:
// `<service>.endpoints-<k>.<project>.svc`, the shards of the Service's ready endpoints (each
// instance a pod's task address and target port, at most eight a shard, since Route 53 answers a
// multivalue name with at most eight records; ../services/endpoint-shards.ts says which shard),
// and `<service>.<project>.svc`, one instance: the Service's proxy (its task address and the
// Service's first port; service-proxy-task.ts), which resolves every shard. A Berth Service's
// name is a DNS label, so `<service>.endpoints-<k>` is never another's own name. Services made
// before the shards have `<service>.endpoints`, which their old proxies resolve: it is kept
// answering the ready endpoints until the Service's current proxy runs, then removed.
// Namespaces and services carry Berth's tags; anything without them is never changed or deleted.
//
// Cloud Map's namespace operations are asynchronous: CreatePrivateDnsNamespace and
// DeleteNamespace answer with an operation, followed here with GetOperation for a few seconds;
// if it has not finished, the call reports `pending` and the reconciler looks again later. Every
// create carries a CreatorRequestId derived from what it makes (the project's or Service's uid),
// so a retry after a timeout never makes a second one; a failed operation is retried under a new
// id. Instance registrations and deregistrations are also operations; they are not waited for:
// the next pass reads the instances again and does what is still needed. Each pass lists the
// namespace's services once, so the shards another pass made are never missed.
// AWS documentation: AWS Cloud Map API Reference (CreatePrivateDnsNamespace, GetOperation,
// ListNamespaces, ListServices, CreateService, DeleteService, DeleteNamespace, ListInstances,
// RegisterInstance, DeregisterInstance, ListTagsForResource); Amazon Route 53 Developer Guide,
// "Multivalue answer routing" (up to eight records per answer).
import { createHash } from 'node:crypto';
import {
  CreatePrivateDnsNamespaceCommand,
  CreateServiceCommand,
  DeleteNamespaceCommand,
  DeleteServiceCommand,
  DeregisterInstanceCommand,
  GetOperationCommand,
  ListInstancesCommand,
  ListNamespacesCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  RegisterInstanceCommand,
  type ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import type { DiscoveryInstance, ServiceAnswers, ServiceDiscovery } from '../services/discovery.ts';
import { planInstances } from '../services/discovery.ts';
import { planShards, shardName, shardOf } from '../services/endpoint-shards.ts';
import { MANAGED_TAG, NotOwnedError, PROJECT_TAG, ownedByBerth } from './ownership.ts';

/** The Berth Service a Cloud Map service's name stands for (`db` for `db`, `db.endpoints-3` and `db.endpoints`). */
const serviceOfName = (name: string): string => name.replace(/\.endpoints(-\d+)?$/, '');
/** The name of a Service's endpoints before they were sharded; only proxies run before then resolve it. */
export const legacyEndpointsName = (service: string): string => `${service}.endpoints`;
type ServiceRef = { project: string; projectUid: string; name: string; uid: string; version: string };
/** The Cloud Map services of one Berth Service, by id: its own name's (the proxy), its endpoints' shards, the name before shards. */
interface ServiceNames { own?: string; shards: Map<number, string>; legacy?: string }

/** The tag naming the Berth Service a Cloud Map service stands for. */
export const SERVICE_TAG = 'berth:service';
/** Seconds resolvers may keep an answer: short, since endpoints come and go with pods. */
export const RECORD_TTL_SECONDS = 5;
/** Namespaces are `<project>.svc`, as Kubernetes names a Service `<service>.<namespace>.svc`. */
export const namespaceName = (project: string): string => `${project}.svc`;

export interface CloudMapOptions {
  client: Pick<ServiceDiscoveryClient, 'send'>;
  /** The VPC whose resolver answers the namespaces (the tenant hosts' VPC). */
  vpcId: string;
  /** How often and how long an operation is followed before the call reports `pending`. */
  pollMs?: number;
  polls?: number;
  sleep?: (ms: number) => Promise<void>;
}

type Tags = { Key: string; Value: string }[];
const code = (err: unknown) => (err as { name?: string }).name;
const idOf = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 64);

export class CloudMapDiscovery implements ServiceDiscovery {
  /** Namespace ids found before, by project: a warm function lists them no more. */
  private readonly namespaces = new Map<string, string>();
  /** Services whose tags were read, by id: the `project/service` Berth made each for ('' for none). */
  private readonly owners = new Map<string, string>();
  /** Operations that failed, by the CreatorRequestId they were made under: the next try uses another. */
  private readonly failed = new Map<string, string>();

  constructor(private readonly o: CloudMapOptions) {}

  private async send<T>(command: object): Promise<T> {
    return (await this.o.client.send(command as never)) as T;
  }

  /** Follows an operation for a while: true once it succeeded, false while it runs; throws if it failed. */
  private async settled(operationId: string, creatorRequestId?: string): Promise<boolean> {
    const polls = this.o.polls ?? 5;
    for (let i = 0; i < polls; i++) {
      const { Operation } = await this.send<{ Operation?: { Status?: string; ErrorCode?: string; ErrorMessage?: string } }>(new GetOperationCommand({ OperationId: operationId }));
      if (Operation?.Status === 'SUCCESS') return true;
      if (Operation?.Status === 'FAIL') {
        if (creatorRequestId) this.failed.set(creatorRequestId, operationId);
        throw new Error(`Cloud Map operation ${operationId} failed: ${Operation.ErrorCode ?? ''} ${Operation.ErrorMessage ?? ''}`.trim());
      }
      if (i < polls - 1) await (this.o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(this.o.pollMs ?? 1_000);
    }
    return false;
  }

  private async tagsOf(arn: string): Promise<Record<string, string>> {
    const { Tags = [] } = await this.send<{ Tags?: Tags }>(new ListTagsForResourceCommand({ ResourceARN: arn }));
    return Object.fromEntries(Tags.map((t) => [t.Key, t.Value]));
  }

  /** The project's namespace id if Berth made it for that project (found by name, then tags). */
  private async findNamespace(project: string): Promise<string | undefined> {
    const known = this.namespaces.get(project);
    if (known) return known;
    const { Namespaces = [] } = await this.send<{ Namespaces?: { Id?: string; Arn?: string; Name?: string }[] }>(new ListNamespacesCommand({
      Filters: [{ Name: 'NAME', Values: [namespaceName(project)], Condition: 'EQ' }, { Name: 'TYPE', Values: ['DNS_PRIVATE'], Condition: 'EQ' }],
    }));
    for (const ns of Namespaces) {
      if (ns.Name !== namespaceName(project) || !ns.Id || !ns.Arn) continue;
      if (!ownedByBerth(await this.tagsOf(ns.Arn), project)) continue;
      this.namespaces.set(project, ns.Id);
      return ns.Id;
    }
    return undefined;
  }

  /** The project's namespace id, made when missing; undefined while Cloud Map is still making it. */
  private async ensureNamespace(project: string, projectUid: string): Promise<string | undefined> {
    const found = await this.findNamespace(project);
    if (found) return found;
    const base = `berth-ns-${projectUid}`;
    const creatorRequestId = this.failed.has(base) ? idOf(base, this.failed.get(base)!) : base;
    let operationId: string | undefined;
    try {
      ({ OperationId: operationId } = await this.send<{ OperationId?: string }>(new CreatePrivateDnsNamespaceCommand({
        Name: namespaceName(project),
        Vpc: this.o.vpcId,
        CreatorRequestId: creatorRequestId,
        Description: `Berth project ${project}: its Services, by name`,
        Tags: [{ Key: MANAGED_TAG, Value: 'true' }, { Key: PROJECT_TAG, Value: project }],
        Properties: { DnsProperties: { SOA: { TTL: 60 } } },
      })));
    } catch (err) {
      // Made meanwhile (by another pass), or by someone else: the tags decide which.
      if (code(err) !== 'NamespaceAlreadyExists') throw err;
      const ours = await this.findNamespace(project);
      if (!ours) throw new NotOwnedError(`Cloud Map namespace ${namespaceName(project)}`);
      return ours;
    }
    if (!operationId || !(await this.settled(operationId, base))) return undefined;
    this.failed.delete(base);
    return this.findNamespace(project);
  }

  private async services(namespaceId: string): Promise<{ Id: string; Arn: string; Name: string }[]> {
    const out: { Id: string; Arn: string; Name: string }[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.send<{ Services?: { Id?: string; Arn?: string; Name?: string }[]; NextToken?: string }>(new ListServicesCommand({
        Filters: [{ Name: 'NAMESPACE_ID', Values: [namespaceId], Condition: 'EQ' }], ...(NextToken ? { NextToken } : {}),
      }));
      for (const s of page.Services ?? []) if (s.Id && s.Arn && s.Name) out.push({ Id: s.Id, Arn: s.Arn, Name: s.Name });
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }

  /** The Berth Service a Cloud Map service was made for, from its tags (read once per service). */
  private async ownerOf(svc: { Id: string; Arn: string }): Promise<string> {
    let owner = this.owners.get(svc.Id);
    if (owner === undefined) {
      const tags = await this.tagsOf(svc.Arn);
      owner = ownedByBerth(tags) && tags[PROJECT_TAG] && tags[SERVICE_TAG] ? `${tags[PROJECT_TAG]}/${tags[SERVICE_TAG]}` : '';
      this.owners.set(svc.Id, owner);
    }
    return owner;
  }

  /** The Cloud Map services Berth made for the Berth Service `name` (by their names and tags), read fresh: one listing. */
  private async namesOf(namespaceId: string, project: string, name: string): Promise<ServiceNames> {
    const out: ServiceNames = { shards: new Map() };
    for (const s of await this.services(namespaceId)) {
      const shard = shardOf(name, s.Name);
      const role = s.Name === name ? 'own' : s.Name === legacyEndpointsName(name) ? 'legacy' : shard !== undefined ? 'shard' : undefined;
      // A service of that name that Berth did not make for this Service is never used; making one in its place fails.
      if (!role || (await this.ownerOf(s)) !== `${project}/${name}`) continue;
      if (role === 'shard') out.shards.set(shard!, s.Id);
      else out[role] = s.Id;
    }
    return out;
  }

  /** Forgets a namespace that Cloud Map no longer knows (removed outside Berth): the next pass finds or makes it again. */
  private forgetting(project: string) {
    return (err: unknown): never => {
      if (code(err) === 'NamespaceNotFound') this.namespaces.delete(project);
      throw err;
    };
  }

  private async instances(serviceId: string): Promise<DiscoveryInstance[]> {
    const out: DiscoveryInstance[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.send<{ Instances?: { Id?: string; Attributes?: Record<string, string> }[]; NextToken?: string }>(new ListInstancesCommand({ ServiceId: serviceId, ...(NextToken ? { NextToken } : {}) }));
      for (const i of page.Instances ?? []) {
        if (i.Id) out.push({ id: i.Id, ip: i.Attributes?.AWS_INSTANCE_IPV4 ?? '', port: Number(i.Attributes?.AWS_INSTANCE_PORT ?? 0) });
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }

  async sync(s: ServiceRef, want: ServiceAnswers): Promise<'done' | 'pending'> {
    return this.syncService(s, want).catch(this.forgetting(s.project));
  }

  private async syncService(s: ServiceRef, want: ServiceAnswers): Promise<'done' | 'pending'> {
    const namespaceId = await this.ensureNamespace(s.project, s.projectUid);
    if (!namespaceId) return 'pending';
    const names = await this.namesOf(namespaceId, s.project, s.name);
    await this.syncShards(namespaceId, s, names, want.endpoints);
    let pending = false;
    // The name before shards: answered for the proxies run before them until none is left, then removed.
    if (names.legacy && !want.service) await this.fill(names.legacy, s, want.endpoints);
    else if (names.legacy) pending = !(await this.deleteService(names.legacy));
    // The Service's own name is made with its first answer (its proxy), and kept as it is until then.
    if (want.service) await this.fill(names.own ?? (await this.create(namespaceId, s, s.name, 'its proxy')), s, want.service);
    return pending ? 'pending' : 'done';
  }

  /** Spreads the ready endpoints over the Service's shards: each stays in its shard, a new one goes where there is room. */
  private async syncShards(namespaceId: string, s: ServiceRef, names: ServiceNames, want: DiscoveryInstance[]): Promise<void> {
    const have = new Map<number, DiscoveryInstance[]>();
    for (const [k, id] of names.shards) have.set(k, await this.instances(id));
    const plan = planShards(want, have);
    // Answers go before others come, so a shard never answers more than Route 53 shows, and a
    // shard that cannot be made (a name not Berth's in the way) never keeps a gone pod answered.
    for (const d of plan.deregister) await this.deregister(names.shards.get(d.shard)!, d.id);
    for (const k of plan.create) names.shards.set(k, await this.create(namespaceId, s, shardName(s.name, k), `its ready endpoints (shard ${k})`));
    for (const r of plan.register) await this.register(names.shards.get(r.shard)!, s, r.instance);
  }

  /** Makes the Cloud Map service `name` for the Berth Service `s`; its id. */
  private async create(namespaceId: string, s: ServiceRef, name: string, what: string): Promise<string> {
    let serviceId: string | undefined;
    try {
      const { Service } = await this.send<{ Service?: { Id?: string } }>(new CreateServiceCommand({
        Name: name,
        NamespaceId: namespaceId,
        // The Service's own name keeps the id step 1 made it under; each other name has its own.
        CreatorRequestId: name === s.name ? idOf('berth-svc', s.uid) : idOf('berth-svc', s.uid, name),
        Description: `Berth Service ${s.project}/${s.name}: ${what}`,
        DnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'A', TTL: RECORD_TTL_SECONDS }, { Type: 'SRV', TTL: RECORD_TTL_SECONDS }] },
        Tags: [{ Key: MANAGED_TAG, Value: 'true' }, { Key: PROJECT_TAG, Value: s.project }, { Key: SERVICE_TAG, Value: s.name }],
      }));
      serviceId = Service?.Id;
      if (serviceId) this.owners.set(serviceId, `${s.project}/${s.name}`);
    } catch (err) {
      // Made meanwhile (by another pass), or by someone else: the tags decide which.
      if (code(err) !== 'ServiceAlreadyExists') throw err;
      const names = await this.namesOf(namespaceId, s.project, s.name);
      const k = shardOf(s.name, name);
      serviceId = name === s.name ? names.own : k !== undefined ? names.shards.get(k) : undefined;
    }
    if (!serviceId) throw new NotOwnedError(`Cloud Map service ${name} in ${namespaceName(s.project)}`);
    return serviceId;
  }

  /** Makes a Cloud Map service's instances exactly `want`. */
  private async fill(serviceId: string, s: ServiceRef, want: DiscoveryInstance[]): Promise<void> {
    const { register, deregister } = planInstances(want, await this.instances(serviceId));
    for (const i of register) await this.register(serviceId, s, i);
    for (const id of deregister) await this.deregister(serviceId, id);
  }

  private async register(serviceId: string, s: ServiceRef, i: DiscoveryInstance): Promise<void> {
    await this.send(new RegisterInstanceCommand({
      ServiceId: serviceId,
      InstanceId: i.id,
      // One id per registration of this endpoint in this version of the Service: a retry is
      // the same request, a pod that became ready again is a new one.
      CreatorRequestId: idOf(serviceId, i.id, i.ip, String(i.port), s.version),
      Attributes: { AWS_INSTANCE_IPV4: i.ip, AWS_INSTANCE_PORT: String(i.port) },
    }));
  }

  private async deregister(serviceId: string, instanceId: string): Promise<void> {
    await this.send(new DeregisterInstanceCommand({ ServiceId: serviceId, InstanceId: instanceId })).catch((err: unknown) => {
      if (code(err) !== 'InstanceNotFound') throw err;
    });
  }

  /** Deregisters a service's instances and deletes it; false while instances are still going. */
  private async deleteService(serviceId: string): Promise<boolean> {
    const left = await this.instances(serviceId);
    for (const i of left) await this.deregister(serviceId, i.id);
    if (left.length) return false;
    try {
      await this.send(new DeleteServiceCommand({ Id: serviceId }));
    } catch (err) {
      if (code(err) === 'ResourceInUse') return false;
      if (code(err) !== 'ServiceNotFound') throw err;
    }
    return true;
  }

  async removeService(project: string, name: string): Promise<'done' | 'pending'> {
    const namespaceId = await this.findNamespace(project);
    if (!namespaceId) return 'done';
    const names = await this.namesOf(namespaceId, project, name).catch(this.forgetting(project));
    let pending = false;
    for (const serviceId of [names.own, ...names.shards.values(), names.legacy]) {
      if (serviceId && !(await this.deleteService(serviceId).catch(this.forgetting(project)))) pending = true;
    }
    return pending ? 'pending' : 'done';
  }

  async removeProject(project: string): Promise<'done' | 'pending'> {
    const namespaceId = await this.findNamespace(project);
    if (!namespaceId) return 'done';
    let pending = false;
    for (const s of await this.services(namespaceId)) {
      // A service in Berth's namespace that Berth did not make keeps the namespace.
      const tags = await this.tagsOf(s.Arn);
      if (!ownedByBerth(tags, project)) throw new NotOwnedError(`Cloud Map service ${s.Name} in ${namespaceName(project)}`);
      if (!(await this.deleteService(s.Id))) pending = true;
    }
    if (pending) return 'pending';
    let operationId: string | undefined;
    try {
      ({ OperationId: operationId } = await this.send<{ OperationId?: string }>(new DeleteNamespaceCommand({ Id: namespaceId })));
    } catch (err) {
      if (code(err) === 'ResourceInUse') return 'pending';
      if (code(err) !== 'NamespaceNotFound') throw err;
    }
    if (operationId && !(await this.settled(operationId))) return 'pending';
    this.namespaces.delete(project);
    return 'done';
  }

  async list(): Promise<{ project: string; services: string[] }[]> {
    const out: { project: string; services: string[] }[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.send<{ Namespaces?: { Id?: string; Arn?: string; Name?: string }[]; NextToken?: string }>(new ListNamespacesCommand({
        Filters: [{ Name: 'TYPE', Values: ['DNS_PRIVATE'], Condition: 'EQ' }], ...(NextToken ? { NextToken } : {}),
      }));
      for (const ns of page.Namespaces ?? []) {
        if (!ns.Id || !ns.Arn || !ns.Name?.endsWith('.svc')) continue;
        const project = ns.Name.slice(0, -'.svc'.length);
        if (!ownedByBerth(await this.tagsOf(ns.Arn), project)) continue;
        this.namespaces.set(project, ns.Id);
        out.push({ project, services: [...new Set((await this.services(ns.Id)).map((s) => serviceOfName(s.Name)))] });
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }
}
