// Users, credentials, tokens, groups and cluster-admins, over the object store.
import { randomBytes } from 'node:crypto';
import { AlreadyExistsError, NotFoundError, UnauthorizedError, ignoring } from '../errors.ts';
import type { BerthObject, Labels, NewObject } from '../model/types.ts';
import type { GroupSpec, Subject } from '../model/kinds.ts';
import { eachObject } from '../store/each.ts';
import type { ObjectStore } from '../store/ports.ts';
import { dummyHash, hashPassword, verifyPassword } from './password.ts';
import { forgetSubject } from './forget-subject.ts';
import { patchObject } from '../store/patch.ts';
import { newToken, tokenId, type TokenSpec } from './tokens.ts';

const ignoreNotFound = ignoring(NotFoundError);

export const CLUSTER_ADMIN_BINDING = 'cluster-admin';
export const DEFAULT_TOKEN_TTL_SECONDS = 24 * 3600;

export type UserObject = BerthObject<{ fullName?: string }, Record<string, unknown>>;
export type TokenObject = BerthObject<TokenSpec, Record<string, unknown>>;
/** A user's credential; a trial user's also carries the trial's end, which every request reads with it. */
type CredentialObject = BerthObject<{ passwordHash: string; trialExpires?: string }, Record<string, unknown>>;

/** Who a bearer token speaks for, and (for a trial user) when the trial ends. */
export interface TokenHolder {
  user: string;
  trialExpires?: string;
}

/** What a new user is made with besides a name and password. */
export interface NewUser {
  fullName?: string;
  labels?: Labels;
  annotations?: Labels;
  /** The end of a trial (ISO), carried by the credential for the answers' trial header. */
  trialExpires?: string;
}
type ClusterRoleBinding = BerthObject<{ role: 'cluster-admin'; subjects: Subject[] }, Record<string, unknown>>;

export interface LoginResult {
  token: string;
  expiresAt: string;
  user: string;
}

export class Identity {
  constructor(
    private readonly store: ObjectStore,
    private readonly tokenTtlSeconds = DEFAULT_TOKEN_TTL_SECONDS,
  ) {}

  /** Creates a user and its credential in one write. */
  async createUser(name: string, password: string, fullName?: string): Promise<UserObject> {
    const [user] = await this.store.createMany(await this.userObjects(name, password, { fullName }));
    return user as UserObject;
  }

  /** The User and its Credential, for a caller that writes them together with more (a sign-up's project). */
  async userObjects(name: string, password: string, u: NewUser = {}): Promise<NewObject[]> {
    const passwordHash = await hashPassword(password);
    return [
      { kind: 'User', metadata: { name, project: '', labels: u.labels, annotations: u.annotations }, spec: u.fullName ? { fullName: u.fullName } : {} },
      { kind: 'Credential', metadata: { name, project: '' }, spec: u.trialExpires ? { passwordHash, trialExpires: u.trialExpires } : { passwordHash } },
    ];
  }

  /** Sets (or with undefined, clears) the trial end the credential carries. */
  async setTrialExpires(name: string, trialExpires: string | undefined): Promise<void> {
    await patchObject<CredentialObject>(this.store, { kind: 'Credential', project: '', name }, (c) =>
      c.spec.trialExpires === trialExpires ? undefined : { ...c, spec: trialExpires ? { ...c.spec, trialExpires } : { passwordHash: c.spec.passwordHash } },
    );
  }

  /** Stops a user acting at once (no logins, no tokens), keeping the User: what a deletion does first. */
  async disable(name: string): Promise<void> {
    await this.store.delete({ kind: 'Credential', project: '', name }).catch(ignoreNotFound);
    await this.revokeAll(name);
  }

  /**
   * Deletes a user and everything that lets anyone act as them: first the credential (no new
   * logins), then their tokens, then their places in role bindings, groups and the cluster-admin
   * binding (a later user of the same name inherits nothing), and the User last, so that a
   * deletion that fails half-way is finished by asking again. Tokens stop working as soon as the
   * credential is gone (authenticate checks it), whatever was left behind.
   */
  async deleteUser(name: string): Promise<void> {
    const user = await this.store.get({ kind: 'User', project: '', name });
    await this.disable(name);
    await forgetSubject(this.store, name);
    if (!user) throw new NotFoundError('User', name);
    await this.store.delete({ kind: 'User', project: '', name }).catch(ignoreNotFound);
  }

  async setPassword(name: string, password: string): Promise<void> {
    const cred = await this.store.get<CredentialObject>({ kind: 'Credential', project: '', name });
    if (!cred) throw new NotFoundError('User', name);
    await this.store.update({ ...cred, spec: { ...cred.spec, passwordHash: await hashPassword(password) } });
  }

  async login(username: string, password: string): Promise<LoginResult> {
    const cred = await this.store.get<CredentialObject>({ kind: 'Credential', project: '', name: username });
    const ok = await verifyPassword(password, cred?.spec.passwordHash ?? (await dummyHash()));
    if (!cred || !ok) throw new UnauthorizedError('wrong username or password');
    const token = newToken();
    const expiresAt = new Date(Date.now() + this.tokenTtlSeconds * 1000).toISOString();
    await this.store.create({
      kind: 'Token',
      metadata: { name: tokenId(token), project: '', labels: { user: username }, expiresAt },
      spec: { user: username },
    });
    return { token, expiresAt, user: username };
  }

  /** The user a bearer token belongs to; expired or revoked tokens are refused. */
  async authenticate(token: string): Promise<string> {
    return (await this.holderOf(token)).user;
  }

  /** authenticate, with what the user's credential says about a trial. */
  async holderOf(token: string): Promise<TokenHolder> {
    const stored = await this.store.get<TokenObject>({ kind: 'Token', project: '', name: tokenId(token) });
    if (!stored) throw new UnauthorizedError('the token is not valid; it may have been revoked');
    if (stored.metadata.expiresAt && Date.parse(stored.metadata.expiresAt) <= Date.now()) {
      throw new UnauthorizedError('the token has expired');
    }
    // A token outlives nobody's credential: the first thing a user's deletion removes, so a token
    // made by a login racing the deletion, or left by one that failed half-way, is dead at once.
    const cred = await this.store.get<CredentialObject>({ kind: 'Credential', project: '', name: stored.spec.user });
    if (!cred) throw new UnauthorizedError('the token is not valid; it may have been revoked');
    return cred.spec.trialExpires ? { user: stored.spec.user, trialExpires: cred.spec.trialExpires } : { user: stored.spec.user };
  }

  async logout(token: string): Promise<void> {
    await this.store.delete({ kind: 'Token', project: '', name: tokenId(token) }).catch(ignoreNotFound);
  }

  async revokeAll(user: string): Promise<void> {
    for await (const t of eachObject(this.store, 'Token', '', { user })) {
      await this.store.delete({ kind: 'Token', project: '', name: t.metadata.name }).catch(ignoreNotFound);
    }
  }

  async isClusterAdmin(user: string): Promise<boolean> {
    const crb = await this.store.get<ClusterRoleBinding>({ kind: 'ClusterRoleBinding', project: '', name: CLUSTER_ADMIN_BINDING });
    return !!crb?.spec.subjects.some((s) => s.kind === 'User' && s.name === user);
  }

  /** The groups a user belongs to. */
  async groupsOf(user: string): Promise<string[]> {
    const groups: string[] = [];
    for await (const g of eachObject<BerthObject<GroupSpec>>(this.store, 'Group', '')) if (g.spec.users.includes(user)) groups.push(g.metadata.name);
    return groups;
  }

  /**
   * Makes sure a cluster-admin exists. On first start creates user `admin` with the given
   * password (or a random one) and returns the credentials; afterwards returns undefined.
   * The password may be a function, called only when the administrator must be made.
   */
  async bootstrapAdmin(password?: string | (() => Promise<string>), username = 'admin'): Promise<{ username: string; password: string } | undefined> {
    const existing = await this.store.get({ kind: 'ClusterRoleBinding', project: '', name: CLUSTER_ADMIN_BINDING });
    if (existing) return undefined;
    const pw = (typeof password === 'function' ? await password() : password) ?? randomBytes(12).toString('base64url');
    try {
      await this.createUser(username, pw, 'Cluster administrator');
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      await this.setPassword(username, pw);
    }
    await this.store.create({
      kind: 'ClusterRoleBinding',
      metadata: { name: CLUSTER_ADMIN_BINDING, project: '' },
      spec: { role: 'cluster-admin', subjects: [{ kind: 'User', name: username }] },
    });
    return { username, password: pw };
  }
}

