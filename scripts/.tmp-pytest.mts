import Docker from 'dockerode';
import { ensureImage } from '../images/build.ts';
import { pythonRecipe } from '../images/recipe.ts';
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const r = { ...pythonRecipe('test'), image: 'berth/python:3.11-test-check', base: 'berth/python-base:3.11-test-check' };
console.log(await ensureImage(docker, r, { log: (l) => { if (/mmdebstrap|made|Built/.test(l)) console.log(l); } }));
