// What the API app is given (its dependencies) and what a request carries through middleware.
import type { PushSubscriptions } from '../push/subscriptions.ts';
import type { LocalPush } from '../push/local.ts';
import type { Logger } from 'pino';
import type { Identity } from '../auth/identity.ts';
import type { ObjectStore } from '../store/ports.ts';
import type { BuildLogs, SourceArchives } from '../builds/ports.ts';
import type { PodContainers, PodSessionBroker } from '../fleet/ports.ts';
import type { HostSpec } from '../model/deploy-kinds.ts';
import type { BerthObject } from '../model/types.ts';
import type { BuildPolicy } from '../builds/admission.ts';
import type { TrialSettings } from '../trials/settings.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { UpgradeWebSocket } from 'hono/ws';
import type { RegistryDeps } from '../registry/types.ts';
import type { ImageImportTasks } from '../registry/import-tasks.ts';
import type { PushCredentialIssuer } from '../registry/push-credentials.ts';
import type { SealedKind } from '../secrets/codecs.ts';

/**
 * Turns a kind's spec into its stored form and back, for fields that must not be stored in
 * the clear (webhook secrets). `seal` is given the stored spec on replace, so that an unchanged
 * secret keeps its stored form and the spec (and generation) does not change.
 */
export interface SpecCodec {
  seal(spec: unknown, stored?: unknown): Promise<unknown>;
  open(spec: unknown): Promise<unknown>;
}

export interface BuilderImage {
  /** What users type: `python` in `new-app python~./src`. */
  name: string;
  /** The image reference builds use, e.g. 127.0.0.1:7500/berth/python:3.11. */
  image: string;
  description?: string;
  /** The same image as an ImageStreamTag of the shared project, which new-app builds from so that a new builder image rebuilds the app. */
  imageStreamTag?: { namespace: string; name: string };
}

export interface ApiDeps {
  store: ObjectStore;
  identity: Identity;
  logger?: Logger;
  /** Per kind, how its spec is sealed at rest (see SpecCodec); only the kinds listed as sealed (shared/secrets/codecs.ts). */
  codecs?: Partial<Record<SealedKind, SpecCodec>>;
  /** Build logs and uploaded sources; the build routes are served when given. */
  builds?: {
    logs: BuildLogs;
    sources: SourceArchives;
    maxArchiveBytes?: number;
    /**
     * How long one `log?follow=true` response may stream (unbounded when absent). Lambda buffers
     * a response whole, so there it is 0: the response holds what is there, the client polls on.
     */
    followMs?: number;
  };
  /** The builder images this platform offers (`python` → its image reference), for new-app. */
  builderImages?: BuilderImage[];
  /** The apps domain generated route hosts live under; when given, routes are refused another project's generated hosts at once. */
  appsDomain?: string;
  /**
   * What builds may fetch and which images projects may use (git URIs, the platform registry's
   * layout); local git is refused when absent.
   */
  buildPolicy?: BuildPolicy;
  /** Requests per user (rate-limit.ts): past it, 429 with Retry-After. No limit when absent. */
  rateLimit?: RateLimiter;
  /** Shown by /healthz and in the OpenAPI document. */
  version?: string;
  /** The routers' public ports, when not 80 and 443 (the all-in-one's PAAS_ROUTER_HTTP_PORT, …). */
  router?: { httpPort: number; httpsPort: number };
  /**
   * Sign-up, trial length, project caps and the trials' clock; without it sign-up is off and
   * users may create DEFAULT_TRIAL_SETTINGS.projectsPerUser projects.
   */
  trials?: TrialSettings;
  /** The container hosts' pod containers, for pod logs; the pod log route is served when given. */
  fleet?: {
    /** The pod containers of a host, or undefined when this API cannot reach that host. */
    containersFor(host: BerthObject<HostSpec, unknown>): PodContainers | undefined;
  };
  /**
   * Watches (`?watch=1` on list routes): the longest a request is held when nothing changes,
   * and how often the objects are read meanwhile. Default 30 s and 250 ms (watch-route.ts); on
   * Lambda, where a held request is billed by the second, shorter (docs/cost.md, "Watches").
   */
  watch?: { maxSeconds: number; pollMs: number };
  /**
   * Services are reached by name only (AWS: Cloud Map and each Service's proxy): no cluster IP
   * is allocated, and a Service asking for one is a 422 naming spec.clusterIP. Cluster IPs of
   * each project's range otherwise (the all-in-one platform).
   */
  servicesByName?: boolean;
  /** The platform registry's token endpoint, push notifications and image imports; served when given. */
  registry?: RegistryDeps;
  /** Registry logins per project (ECR on AWS); `POST .../registrycredentials` is served when given. */
  pushCredentials?: PushCredentialIssuer;
  /** Imports run as tasks (ECS on AWS): `POST .../imagestreamimports` answers 202 and `GET .../imagestreamimports/NAME` follows it. */
  imageImports?: ImageImportTasks;
  /** Opens exec and port-forward sessions through the platform's cloud (ECS Exec on AWS); `POST .../exec` and `.../portforward` are served when given. */
  sessions?: PodSessionBroker;
  /**
   * Push connections (shared/push): where clients are told of changes instead of asking again. The
   * `url` is given to clients on watch and build-log answers (header X-Berth-Push); `local` is the
   * service this process serves at that path (with `streams`); on AWS the WebSocket API serves it.
   * With `tickets`, `POST /api/v1/push/tickets` hands out tickets that open a connection without a
   * token in the handshake (the console's script).
   */
  watchPush?: { url: string; local?: LocalPush; tickets?: Pick<PushSubscriptions, 'issueTicket'> };
  /** WebSocket upgrades of the server the app runs in; exec is served when given (not on Lambda). */
  streams?: { upgradeWebSocket: UpgradeWebSocket<any> };
}

export interface ApiEnv {
  Variables: {
    /** The authenticated user's name; set on every route but the public ones. */
    user: string;
    /** The bearer token of the request, for logout. */
    token: string;
    /** What the route's `prefetch` read beside the authorisation (shared/api/access.ts). */
    prefetched: Promise<unknown>;
  };
}
