// Installs what the all-in-one platform needs and the machine lacks, through apt, as root,
// saying what it installs; explains what to do when it cannot.
import { spawnSync } from 'node:child_process';

export interface Prerequisite {
  what: string;
  /** True when already present. */
  present(): boolean;
  /** Debian packages that provide it. */
  packages: string[];
}

export const JAVA: Prerequisite = {
  what: 'Java 17 or later (runs DynamoDB Local)',
  packages: ['openjdk-17-jre-headless'],
  present() {
    const out = spawnSync('java', ['-version'], { encoding: 'utf8' });
    if (out.error || out.status !== 0) return false;
    const m = /version "(\d+)/.exec(out.stderr + out.stdout);
    return !!m && Number(m[1]) >= 17;
  },
};

export function ensurePrerequisites(list: Prerequisite[], say: (line: string) => void): void {
  const missing = list.filter((p) => !p.present());
  if (missing.length === 0) return;
  const packages = missing.flatMap((p) => p.packages);
  const names = missing.map((p) => p.what).join(', ');
  if (process.getuid?.() !== 0) {
    throw new Error(`missing: ${names}. Install as root with: apt-get install -y ${packages.join(' ')}`);
  }
  say(`installing ${packages.join(' ')} through apt for: ${names}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  const install = update.status === 0 ? spawnSync('apt-get', ['install', '-y', '-q', ...packages], { stdio: 'inherit', env }) : update;
  if (install.status !== 0 || missing.some((p) => !p.present())) {
    throw new Error(`could not install ${packages.join(' ')} through apt; install them by hand and run again`);
  }
}

function onPath(cmd: string, args: string[] = ['--version']): boolean {
  const out = spawnSync(cmd, args, { stdio: 'ignore' });
  return !out.error && out.status === 0;
}

export const DOCKER: Prerequisite = { what: 'Docker Engine (the fleet and the builds)', packages: ['docker.io'], present: () => onPath('dockerd') };
export const REGISTRY: Prerequisite = { what: 'the Distribution registry', packages: ['docker-registry'], present: () => onPath('docker-registry', ['--version']) };
export const MMDEBSTRAP: Prerequisite = { what: 'mmdebstrap (builder base images)', packages: ['mmdebstrap'], present: () => onPath('mmdebstrap') };
/** mkfs.ext4 formats persistent volume claims' disks (shared/volumes/loop-disks.ts). */
export const E2FSPROGS: Prerequisite = { what: 'mkfs.ext4 (persistent volume claims)', packages: ['e2fsprogs'], present: () => onPath('mkfs.ext4', ['-V']) };
/** The registry's token-signing key and certificate are made with it at first start. */
export const OPENSSL: Prerequisite = { what: 'openssl (the registry token certificate)', packages: ['openssl'], present: () => onPath('openssl', ['version']) };
export const HAPROXY: Prerequisite = { what: 'HAProxy (the routers)', packages: ['haproxy'], present: () => onPath('haproxy', ['-v']) };
/** Tests only: Debian's static busybox (a dynamic one cannot run in an empty image), the base of the fake S2I builders the build tests make. */
export const BUSYBOX: Prerequisite = { what: 'busybox-static (fake S2I builders in tests)', packages: ['busybox-static'], present: () => /install ok installed/.test(spawnSync('dpkg-query', ['-W', '-f=${Status}', 'busybox-static'], { encoding: 'utf8' }).stdout ?? '') };
/** Tests only: the ECS health-check commands are run with each HTTP client an image may have. */
export const HTTP_CLIENTS: Prerequisite = { what: 'curl and wget (health-check tests)', packages: ['curl', 'wget'], present: () => onPath('curl', ['--version']) && onPath('wget', ['--version']) };
