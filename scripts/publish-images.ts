// `npm run publish-images -- --registry HOST [--prefix berth] [--arch arm64] [--username AWS] < password`:
// the cluster admin's push of the shared openshift images (images/publish.ts) with their own
// registry login, read from stdin (`aws ecr get-login-password | npm run publish-images -- …`).
import { Command, InvalidArgumentError } from 'commander';
import Docker from 'dockerode';
import { text } from 'node:stream/consumers';
import { sharedStreams } from '../agents/up/builder-images.ts';
import { publishImages } from '../images/publish.ts';

const HOST = /^[a-z0-9.-]+(:\d+)?$/i;
const program = new Command('publish-images')
  .description("Pushes the openshift project's images (python, postgresql, redis, mariadb) to a registry, one tag per image stream tag")
  .requiredOption('--registry <host>', 'the registry host, e.g. 111122223333.dkr.ecr.eu-west-1.amazonaws.com', (v) => {
    if (!HOST.test(v)) throw new InvalidArgumentError('a host name (and port), without scheme or path');
    return v;
  })
  .option('--prefix <prefix>', 'the repositories\' prefix (what the stacks grant)', 'berth')
  .option('--arch <arch>', 'the fleet\'s architecture; images built for another are refused', 'arm64')
  .option('--username <name>', 'the registry user (ECR: AWS); the password is read from stdin', 'AWS')
  .action(async (opts: { registry: string; prefix: string; arch: string; username: string }) => {
    if (process.stdin.isTTY) throw new InvalidArgumentError('pipe the registry password in: aws ecr get-login-password | npm run publish-images -- --registry HOST');
    const password = (await text(process.stdin)).trim();
    if (!password) throw new InvalidArgumentError('stdin held no password: aws ecr get-login-password | npm run publish-images -- --registry HOST');
    const docker = new Docker();
    await publishImages(docker, sharedStreams(docker, 'plain'), { registry: opts.registry, prefix: opts.prefix, arch: opts.arch, auth: { username: opts.username, password, serveraddress: opts.registry } }, (line) => console.log(line));
  });

program.parseAsync().catch((err: Error) => {
  console.error(`publish-images: ${err.message}`);
  process.exitCode = 1;
});
