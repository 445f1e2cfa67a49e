/** Builds the OpenAPI 3.1 document from the request schemas in schemas/kms. */
import type { JsonSchema } from '../../schemas/index.js';

/** Operations whose path is not `POST /kms/{name}`. */
const SPECIAL: Record<string, { method: string; path: string }> = {
  'kms/create-tag': { method: 'post', path: '/v1.0/{project_id}/kms/{key_id}/tags' },
  'kms/batch-tags': { method: 'post', path: '/v1.0/{project_id}/kms/{key_id}/tags/action' },
  'kms/resource-instances': { method: 'post', path: '/v1.0/{project_id}/kms/resource_instances/action' },
  'dew/stack-lock': { method: 'post', path: '/v1.0/{project_id}/dew/stacks/{stack}/lock' },
  'dew/stack-object-put': { method: 'put', path: '/v1.0/{project_id}/dew/stacks/{stack}/objects' },
  'dew/stack-object-delete': { method: 'delete', path: '/v1.0/{project_id}/dew/stacks/{stack}/objects' },
};

const errorBody = {
  type: 'object',
  properties: {
    error: { type: 'object', properties: { error_code: { type: 'string' }, error_msg: { type: 'string' } } },
  },
};

function stripExtensions(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(stripExtensions);
  if (schema && typeof schema === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema)) {
      if (k === '$schema' || k === '$id') continue;
      out[k] = stripExtensions(v);
    }
    return out;
  }
  return schema;
}

export function buildOpenApi(schemas: Map<string, JsonSchema>, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const params = [{ name: 'project_id', in: 'path', required: true, schema: { type: 'string' } }];
  for (const [id, schema] of schemas) {
    const name = id.split('/')[1];
    const where = SPECIAL[id] ?? { method: 'post', path: `/v1.0/{project_id}/kms/${name}` };
    const pathParams = [
      ...params,
      ...['key_id', 'stack'].filter((p) => where.path.includes(`{${p}}`)).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ];
    paths[where.path] = {
      ...paths[where.path],
      [where.method]: {
        operationId: name,
        summary: schema.description,
        parameters: pathParams,
        security: [{ aksk: [] }, { token: [] }],
        requestBody: { required: true, content: { 'application/json': { schema: stripExtensions(schema) } } },
        responses: {
          '200': { description: 'Success' },
          '400': { description: 'Invalid request', content: { 'application/json': { schema: errorBody } } },
          '401': { description: 'Authentication failed (APIGW.0301)' },
          '403': { description: 'No permission' },
          '404': { description: 'Not found' },
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'dew KMS API', version, description: 'Huawei-DEW-shaped key management API served by the dew daemon.' },
    components: {
      securitySchemes: {
        aksk: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'SDK-HMAC-SHA256 request signature' },
        token: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' },
      },
    },
    paths,
  };
}
