// Where a project's pods and Services live on a project network (STYLE 8: pure). Each project
// has a /25 of 10.0.0.0/9 of its own: its first half (a /26) is the range Docker gives the
// project's pod containers (and the gateway), its second half holds the project's Services'
// cluster IPs, so that Docker never hands a pod a Service's address. The /25 follows from the
// project's claimed UID block (unique within the platform) plus the platform's salt (random per
// table, so that two platforms sharing one engine rarely pick the same /25), so it is the same
// on every engine and after every restart, and nothing has to be stored per project.
import { ValidationError } from '../errors.ts';

/** The pool every project's /25 is taken from: 10.0.0.0/9 (65,536 projects). */
const POOL_BASE = 10 << 24;
const SLOTS = 1 << 16;
const SUBNET_SIZE = 128;
/** Cluster IPs are the second half of the /25, but its last address (the broadcast). */
const FIRST_SERVICE = 64;
const LAST_SERVICE = 126;

export interface ProjectAddressing {
  /** The project network's subnet, e.g. `10.3.4.128/25`. */
  subnet: string;
  gateway: string;
  /** Where Docker picks pod addresses: the subnet's first half. */
  ipRange: string;
  /** The first and last cluster IP of the project's Services. */
  firstServiceIP: string;
  lastServiceIP: string;
}

const ipOf = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/** `10.0.0.5` → its number; undefined when it is no dotted IPv4 address. */
export function ipNumber(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

/**
 * The addresses of the project whose UID block is `block`, on a platform of `salt`.
 * @example projectAddressing(0, 0) // { subnet: '10.0.0.0/25', gateway: '10.0.0.1', ipRange: '10.0.0.0/26', firstServiceIP: '10.0.0.64', lastServiceIP: '10.0.0.126' }
 */
export function projectAddressing(block: number, salt: number): ProjectAddressing {
  const slot = (((block + salt) % SLOTS) + SLOTS) % SLOTS;
  const base = POOL_BASE + slot * SUBNET_SIZE;
  return {
    subnet: `${ipOf(base)}/25`,
    gateway: ipOf(base + 1),
    ipRange: `${ipOf(base)}/26`,
    firstServiceIP: ipOf(base + FIRST_SERVICE),
    lastServiceIP: ipOf(base + LAST_SERVICE),
  };
}

/** Every cluster IP of the project, in order. */
export function serviceIPs(a: ProjectAddressing): string[] {
  const first = ipNumber(a.firstServiceIP)!;
  return Array.from({ length: LAST_SERVICE - FIRST_SERVICE + 1 }, (_, i) => ipOf(first + i));
}

/** True when `ip` is one of the project's cluster IPs. */
export function isServiceIP(a: ProjectAddressing, ip: string): boolean {
  const n = ipNumber(ip);
  return n !== undefined && n >= ipNumber(a.firstServiceIP)! && n <= ipNumber(a.lastServiceIP)!;
}

/**
 * The cluster IPs to try for a new Service, in order: from a place that follows from its name
 * (so that Services made at once rarely race for one address), round the whole range.
 */
export function candidateIPs(a: ProjectAddressing, service: string): string[] {
  const all = serviceIPs(a);
  let h = 0;
  for (const ch of service) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const start = h % all.length;
  return [...all.slice(start), ...all.slice(0, start)];
}

/** Refuses a requested cluster IP outside the project's range (422 naming spec.clusterIP). */
export function checkRequestedIP(a: ProjectAddressing, ip: string): void {
  if (!isServiceIP(a, ip)) {
    throw ValidationError.field('spec.clusterIP', `${ip} is not one of this project's Service addresses (${a.firstServiceIP} to ${a.lastServiceIP}); leave it out to have one allocated`);
  }
}
