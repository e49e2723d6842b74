// Which paths a push connection may watch, and what reading each takes: a kind's list in a
// project, its overview, or a build's log (names with dashes and dots included); anything else is no topic.
import { describe, expect, it } from 'vitest';
import { parseTopic, topicsOfKeys } from '../../shared/push/topics.ts';

describe('parseTopic', () => {
  it.each([
    ['/api/v1/projects/shop/pods', { project: 'shop', topic: 'pods', verb: 'list', resource: 'app' }],
    ['/api/v1/projects/my-shop-2/configmaps', { project: 'my-shop-2', topic: 'configmaps', verb: 'list', resource: 'app' }],
    ['/api/v1/projects/a/rolebindings', { project: 'a', topic: 'rolebindings', verb: 'list', resource: 'policy' }],
    ['/api/v1/projects/shop/overview', { project: 'shop', topic: 'overview', verb: 'list', resource: 'app' }],
    ['/api/v1/projects/shop/builds/web-12/log', { project: 'shop', topic: 'builds/web-12/log', verb: 'get', resource: 'app' }],
    ['/api/v1/projects/shop/builds/web.v2-1/log', { project: 'shop', topic: 'builds/web.v2-1/log', verb: 'get', resource: 'app' }],
  ])('%s is a topic', (path, topic) => {
    expect(parseTopic(path)).toEqual(topic);
  });

  it.each([
    '/api/v1/projects/shop/pods/web',
    '/api/v1/projects/shop/configmaps/web/log',
    '/api/v1/projects/shop/nothings',
    '/api/v1/projects/-shop/pods',
    '/api/v1/projects/shop/../other/pods',
    '/api/v1/projects/Shop/pods',
    '/api/v1/projects/shop/builds/web-/log',
    '/api/v1/projects/shop/pods?watch=1',
    '/api/v1/projects/shop/overview/web/log',
  ])('%s is not', (path) => {
    expect(parseTopic(path)).toBeUndefined();
  });
});

describe('topicsOfKeys', () => {
  it('names each changed list and build log once, and the overview of a kind it shows; other items name nothing', () => {
    expect(topicsOfKeys([
      { pk: 'P#shop', sk: 'Pod#web-1-abcde' },
      { pk: 'P#shop', sk: 'Pod#web-1-fghij' },
      { pk: 'L#shop/web-1', sk: 'len' },
      { pk: 'L#shop/web-1', sk: '000000000000' },
      { pk: 'W#p/shop', sk: 'pods conn-1' },
      { pk: 'C#Token', sk: 'abc' },
    ])).toEqual([{ project: 'shop', topic: 'pods' }, { project: 'shop', topic: 'overview' }, { project: 'shop', topic: 'builds/web-1/log' }]);
  });

  it('a kind the overview does not show does not tell the overview', () => {
    expect(topicsOfKeys([{ pk: 'P#shop', sk: 'ConfigMap#settings' }])).toEqual([{ project: 'shop', topic: 'configmaps' }]);
    expect(topicsOfKeys([{ pk: 'P#shop', sk: 'Route#web' }])).toEqual([{ project: 'shop', topic: 'routes' }, { project: 'shop', topic: 'overview' }]);
  });
});
