/** KMS tag routes (reference 1f): per key, batch action, the project's tag list, resource-instance filter and count. */
import type { TagService } from '../../services/tags.js';
import type { ResourceOf, RouteSpec } from '../contract.js';

type Tag = { key: string; value?: string };

/** Tag routes name their key in the path. */
const KEY_IN_PATH: ResourceOf = { request: (r) => r.params.key_id };

export function tagRoutes(d: { tags: TagService }): RouteSpec[] {
  const t = d.tags;
  return [
    { method: 'GET', path: '/tags', operation: 'tags', permission: 'read', handler: (r) => ({ tags: t.projectTags(r.caller) }) },
    {
      method: 'POST', path: '/resource_instances/action', operation: 'resource-instances', permission: 'read', schema: 'kms/resource-instances',
      handler: (r) => t.resourceInstances(r.caller, r.body as never),
    },
    {
      method: 'GET', path: '/:key_id/tags', operation: 'list-key-tags', permission: 'read', resource: KEY_IN_PATH,
      handler: async (r) => {
        const tags = await t.keyTags(r.caller, r.params.key_id);
        return { tags, existTagsNum: tags.length };
      },
    },
    {
      method: 'POST', path: '/:key_id/tags', operation: 'change-key-tags', permission: 'manage', schema: 'kms/create-tag', resource: KEY_IN_PATH, status: 204,
      handler: async (r) => {
        const tag = r.body.tag as Tag;
        await t.change(r.caller, r.params.key_id, 'create', [{ key: tag.key, value: tag.value ?? '' }]);
      },
    },
    {
      method: 'POST', path: '/:key_id/tags/action', operation: 'change-key-tags', permission: 'manage', schema: 'kms/batch-tags', resource: KEY_IN_PATH, status: 204,
      handler: async (r) => {
        const tags = (r.body.tags as Tag[]).map((x) => ({ key: x.key, value: x.value ?? '' }));
        await t.change(r.caller, r.params.key_id, r.body.action as 'create' | 'delete', tags);
      },
    },
    {
      method: 'DELETE', path: '/:key_id/tags/:tag_key', operation: 'change-key-tags', permission: 'manage', resource: KEY_IN_PATH, status: 204,
      handler: async (r) => {
        await t.change(r.caller, r.params.key_id, 'delete', [{ key: r.params.tag_key, value: '' }]);
      },
    },
  ];
}
