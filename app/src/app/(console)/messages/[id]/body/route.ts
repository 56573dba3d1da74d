/**
 * A message's body as it is sent, for the message page in the browser: read from the API with the
 * session's credentials (as the page's server reads the message), named by its digest. The page
 * reads it here once per change of the body, where every refresh of the page used to carry it
 * (message-body.ts). A problem is answered as problem+json, as the API answered it; no session is
 * a redirect to the sign-in page, as for any page. Compressed when the browser accepts it, but not
 * here (Next.js drops a Route Handler's Content-Encoding): by Next.js's server under `next start`
 * (patches/next+16.4.5.patch), by CloudFront on AWS, as every page (infra/web.ts).
 */
import { MESSAGE_ID_PATTERN } from '@vigil/core/ids';
import { PROBLEMS, problemType } from '@vigil/core/problems';
import { loadPage } from '@/lib/api';
import { BODY_DIGEST_HEADER } from '@/lib/message-body';
import { bodyDigest } from '@/lib/message-parts';
import { decodedPathSegment } from '@/lib/paths';
import type { Problem } from '@/lib/types';

/** Never kept by a cache between the browser and the console: it is one tenant's, and changes. */
const NOT_KEPT = { 'cache-control': 'private, no-store' };

const problemAnswer = (problem: Problem): Response =>
  new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { ...NOT_KEPT, 'content-type': 'application/problem+json' },
  });

export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await params;
  const messageId = decodedPathSegment(id);
  if (messageId === undefined || !MESSAGE_ID_PATTERN.test(messageId)) {
    const kind = PROBLEMS.messageNotFound;
    return problemAnswer({
      type: problemType(kind),
      status: kind.status,
      title: kind.title,
      detail:
        'No such message: this is not a message id (msg_ and 26 letters or digits). Open the message from the list.',
    });
  }
  const read = await loadPage((vigil) => vigil.messages.body(messageId));
  if (read.problem) return problemAnswer(read.problem);
  if (read.data === undefined) return new Response(null, { status: 204, headers: NOT_KEPT });
  return new Response(read.data, {
    headers: {
      ...NOT_KEPT,
      'content-type': 'text/plain; charset=utf-8',
      'x-content-type-options': 'nosniff',
      [BODY_DIGEST_HEADER]: bodyDigest(read.data),
    },
  });
}
