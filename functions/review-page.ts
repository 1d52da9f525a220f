// Lambda: a review pack's page behind the page API (API Gateway payload 2.0; the local runtime serves
// it the same way). GET /reviews/{kind}/{period} shows the pack; POST records what the reviewer submits.
import '../src/runtime/zod-at-cold-start';
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { renderBadRequest, renderMethodNotAllowed } from '../src/adapters/http/approval-page-html';
import { renderReviewPage } from '../src/adapters/http/review-page-html';
import { systemClock } from '../src/adapters/system-clock';
import { parseReviewForm } from '../src/domain/reviews/review-form';
import { defineHandler } from '../src/runtime/handler';
import { bodyText, httpPageEvent } from '../src/runtime/http-page';
import { reviewClients, reviewStores, reviewVariables } from '../src/runtime/review-environment';
import { submitReview, viewReview } from '../src/usecases/reviews/review-page';

const environment = z.object({
  REVIEWS_TABLE: reviewVariables.REVIEWS_TABLE,
  AUDIT_TABLE: reviewVariables.AUDIT_TABLE,
  GOVERNANCE_BUCKET: reviewVariables.GOVERNANCE_BUCKET,
  STATE_TABLE: reviewVariables.STATE_TABLE,
  SNAPSHOTS_BUCKET: reviewVariables.SNAPSHOTS_BUCKET,
  LINK_KEY_SECRET_ARN: reviewVariables.LINK_KEY_SECRET_ARN,
});

/** A form larger than this is refused before it is read: the page's form is a few kilobytes. */
const MAX_FORM_BYTES = 256 * 1024;

export const { handler, create, services } = defineHandler({
  name: 'reviews',
  environment,
  event: httpPageEvent,
  correlationId: (event) => `${event.pathParameters?.kind}/${event.pathParameters?.period}`,
  clients: reviewClients,
  dependencies: (env, { clients }) => ({
    ...reviewStores(env, clients),
    clock: systemClock,
    newId: () => randomUUID(),
  }),
  run: async (event, deps, { logger }) => {
    const method = event.requestContext.http.method.toUpperCase();
    const link = {
      kind: event.pathParameters?.kind,
      period: event.pathParameters?.period,
      query: event.queryStringParameters ?? {},
    };
    if (method === 'GET') return renderReviewPage(await viewReview(link, deps), deps.clock.now());
    if (method !== 'POST') return renderMethodNotAllowed(['GET', 'POST']);
    const raw = bodyText(event);
    if (Buffer.byteLength(raw) > MAX_FORM_BYTES) return renderBadRequest('The form is too large');
    const today = new Date(deps.clock.now()).toISOString().slice(0, 10);
    const parsed = parseReviewForm([...new URLSearchParams(raw)], today);
    const page = await submitReview(link, parsed.ok ? parsed.submission : { problems: parsed.problems }, deps);
    if (page.kind === 'recorded')
      logger.info('review recorded', { reviewId: page.reviewId, recorded: page.lines.length });
    else logger.warn('review submission refused', { page: page.kind });
    return renderReviewPage(page, deps.clock.now());
  },
});
