// Runtime: what the pages behind the page API (approval page, review page) read of an API Gateway
// HTTP API event (payload 2.0; the local runtime sends the same), and their form bodies.
import * as z from 'zod';

/** The parts of the event a page reads; anything else is ignored. */
export const httpPageEvent = z
  .object({
    requestContext: z.object({ http: z.object({ method: z.string() }).loose() }).loose(),
    pathParameters: z.record(z.string(), z.string()).optional(),
    queryStringParameters: z.record(z.string(), z.string()).optional(),
    body: z.string().optional(),
    isBase64Encoded: z.boolean().default(false),
  })
  .loose();
export type HttpPageEvent = z.infer<typeof httpPageEvent>;

/** The request body as text (API Gateway base64-encodes bodies it does not take for text). */
export function bodyText(event: HttpPageEvent): string {
  return event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
}
