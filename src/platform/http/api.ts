import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import fastJson from 'fast-json-stringify';
import {
  createJsonSchemaTransform,
  jsonSchemaTransformObject,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';

/** A Fastify scope whose routes declare zod schemas: body, query, params and replies typed and checked at the edge. */
export type ApiScope = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** Where the tenant API lives, and where its OpenAPI document is served. */
export const apiPrefix = '/api/v1';
export const openApiPath = `${apiPrefix}/openapi.json`;
/** The API's readable reference, made from the same document. */
export const apiDocsPath = '/api/docs';

const describe = createJsonSchemaTransform({});

/**
 * Routes validate with their zod schemas and replies are serialized by them; every route
 * registered under `/api/v1` after this joins the OpenAPI 3.1 document served at
 * `/api/v1/openapi.json` (on any host: it describes the API, no tenant's data), and read as
 * a page at `/api/docs`. Health checks, pages and the document itself stay out of it.
 */
export async function registerApiDescription(app: FastifyInstance, version: string): Promise<void> {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(({ schema }) => replyWriter(schema));
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Steadfast API',
        version,
        description:
          "The tenant API, served at each workspace's own address, `https://<workspace>.<base domain>/api/v1`; the routes tagged `console` are the staff console's, served only at `https://console.<base domain>/api/v1/console`. Errors are RFC 9457 problem documents (`application/problem+json`).",
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: (input) => {
      if (!input.url.startsWith(`${apiPrefix}/`) || input.url === openApiPath) {
        return { schema: { ...input.schema, hide: true }, url: input.url };
      }
      return describe(input);
    },
    transformObject: jsonSchemaTransformObject,
  });
  app.get(openApiPath, { schema: { hide: true } }, async () => app.swagger());
  await app.register(fastifySwaggerUi, {
    routePrefix: apiDocsPath,
    // Scripts only from itself; the inline styles Swagger UI sets on its elements are allowed.
    staticCSP:
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    theme: {
      title: 'Steadfast API reference',
      css: [{ filename: 'steadfast.css', content: '.swagger-ui .topbar { display: none }' }],
    },
    uiConfig: { docExpansion: 'list', deepLinking: true, defaultModelsExpandDepth: 0, tryItOutEnabled: false },
  });
}

/**
 * Writes a reply as its zod schema says, through the JSON Schema zod makes of it and Fastify's
 * own fast-json-stringify: only the properties the schema names are written (nothing a row
 * carries besides leaks out), a missing required one is an error, dates in date-time fields are
 * written as ISO 8601. Checking every reply against its zod schema as well cost a list of tasks
 * more than its own SQL took to answer.
 */
function replyWriter(schema: unknown): (data: unknown) => string {
  if (!(schema instanceof z.ZodType)) throw new Error('a reply schema must be a zod schema');
  return fastJson(z.toJSONSchema(schema, { io: 'output', target: 'draft-7', unrepresentable: 'any' }) as object);
}
