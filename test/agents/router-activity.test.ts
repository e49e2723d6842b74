// Reading requests per route from HAProxy's `show stat`: a backend whose session count grew since
// the last reading marks its route active; a count that went down (a reload's new worker starts
// from 0) counts from 0; a backend handed to another route starts again from its count.
import { describe, expect, it } from 'vitest';
import { ActivityMeter, backendSessions } from '../../agents/router/activity.ts';

const csv = (rows: [string, string, number][]) =>
  ['# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin', ...rows.map(([px, sv, stot]) => `${px},${sv},0,0,0,0,,${stot},0`), ''].join('\n');

describe('backendSessions', () => {
  it('takes stot of BACKEND rows only, by the header', () => {
    expect(backendSessions(csv([['be_pool_1', 'BACKEND', 12], ['be_pool_1', 's1', 7], ['be_http_p_web', 'BACKEND', 3]]))).toEqual(new Map([['be_pool_1', 12], ['be_http_p_web', 3]]));
  });
  it('gives nothing for an answer without the columns it needs', () => {
    expect(backendSessions('Unknown command\n')).toEqual(new Map());
  });
});

describe('ActivityMeter', () => {
  const owners = new Map([['be_pool_1', 'p/web'], ['be_pool_2', 'p/api']]);
  it.each([
    ['the first reading is a baseline', [], { be_pool_1: 5 }, []],
    ['a count that grew marks its route', [{ be_pool_1: 5, be_pool_2: 1 }], { be_pool_1: 6, be_pool_2: 1 }, ['p/web']],
    ['a count that went down (reload) counts from 0', [{ be_pool_1: 50 }], { be_pool_1: 2 }, ['p/web']],
    ['a reload with no request since is quiet', [{ be_pool_1: 50 }], { be_pool_1: 0 }, []],
  ])('%s', (_what, before, now, active) => {
    const m = new ActivityMeter();
    for (const b of before) m.observe(new Map(Object.entries(b)), (be) => owners.get(be));
    expect([...m.observe(new Map(Object.entries(now)), (be) => owners.get(be))]).toEqual(active);
  });
  it('a backend handed to another route starts again from its count', () => {
    const m = new ActivityMeter();
    m.observe(new Map([['be_pool_1', 5]]), () => 'p/web');
    expect([...m.observe(new Map([['be_pool_1', 9]]), () => 'q/other')]).toEqual([]);
    expect([...m.observe(new Map([['be_pool_1', 10]]), () => 'q/other')]).toEqual(['q/other']);
  });
});
