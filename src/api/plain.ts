// Octavia answers some errors from its HTTP layer (pecan/webob), not from its API types
// (WSME): unknown paths, wrong methods, pagination parameters, a sub-resource under a parent
// that does not exist. Those bodies are not fault bodies but {code, title, description}, and
// their media type follows the Accept header: JSON only when the client asks for it, else
// HTML (for */*, as curl sends) or plain text (no Accept at all). Clients that probe these
// paths (and tests that compare bodies) see the same bytes as from Octavia.
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface PlainError {
  status: number;
  /** the reason phrase; webob keeps a class's title, so a 404 can say "Bad Request" */
  title: string;
  /** the JSON description; null where Octavia's root controller answers (outside /v2) */
  description: string | null;
  /** the HTML/plain text's first paragraph */
  explanation: string;
  /** text for the Allow header (405 only) */
  allow?: string;
  /** 405 bodies put the method in the explanation and have no detail line */
  methodLine?: boolean;
}

const NOT_COMPLY = 'The server could not comply with the request since it is either malformed or otherwise incorrect.';

export const plain = {
  notFound: (description: string | null): PlainError => ({
    status: 404, title: 'Not Found', description, explanation: 'The resource could not be found.',
  }),
  methodNotAllowed: (method: string, allow: string): PlainError => ({
    status: 405, title: 'Method Not Allowed', description: '',
    explanation: `The method ${method} is not allowed for this resource. `, allow, methodLine: true,
  }),
  /** webob's HTTPClientError: the status varies, the title stays "Bad Request" */
  clientError: (status: number, description: string): PlainError => ({
    status, title: 'Bad Request', description, explanation: NOT_COMPLY,
  }),
};

export function sendPlain(req: FastifyRequest, reply: FastifyReply, e: PlainError) {
  reply.code(e.status);
  if (e.allow) reply.header('Allow', e.allow);
  const status = `${e.status} ${e.title}`;
  const detail = e.description ?? '';
  switch (preferred(req.headers.accept)) {
    case 'json':
      return reply.type('application/json').send(JSON.stringify({ code: e.status, title: e.title, description: e.description }));
    case 'html': {
      const body = e.methodLine
        ? `${e.explanation}<br /><br />\n`
        : `${e.explanation}<br /><br />\n${escapeHtml(detail)}\n\n`;
      return reply.type('text/html; charset=UTF-8').send(
        `<html>\n <head>\n  <title>${status}</title>\n </head>\n <body>\n  <h1>${status}</h1>\n  ${body}\n </body>\n</html>`,
      );
    }
    default: {
      const body = e.methodLine ? `${e.explanation}\n\n ` : `${e.explanation}\n\n ${detail}  `;
      return reply.type('text/plain; charset=UTF-8').send(`${status}\n\n${body}`);
    }
  }
}

/**
 * webob's choice between text/html and application/json by the Accept header's q-values
 * (HTML wins ties, as it is offered first); nothing acceptable, or no header, is plain text.
 */
export function preferred(accept: string | undefined): 'html' | 'json' | 'plain' {
  if (!accept) return 'plain';
  const ranges = accept.split(',').map((part) => {
    const [range, ...params] = part.trim().toLowerCase().split(';').map((s) => s.trim());
    const q = params.find((p) => p.startsWith('q='));
    return { range, q: q ? Number(q.slice(2)) : 1 };
  });
  const quality = (offer: string): number => {
    const [type] = offer.split('/');
    // The most specific matching range decides, as in RFC 7231.
    const exact = ranges.find((r) => r.range === offer);
    const partial = ranges.find((r) => r.range === `${type}/*`);
    const any = ranges.find((r) => r.range === '*/*');
    const q = (exact ?? partial ?? any)?.q ?? 0;
    return Number.isFinite(q) ? q : 0;
  };
  const html = quality('text/html');
  const json = quality('application/json');
  if (html <= 0 && json <= 0) return 'plain';
  return json > html ? 'json' : 'html';
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');
}
