// The closed catalog of errors Fulcrum answers with. Every failure a client can cause is
// one of these; src/api/errors.ts maps them to Octavia's fault body in one place.
import { pyStr } from './pyformat.ts';

export type ErrorKind =
  | 'Validation'          // 400: a body, query or path value Octavia's rules refuse
  | 'BadQuery'            // 400: a pagination parameter (Octavia's HTTP layer answers, not a fault body)
  | 'InvalidOption'       // 400: a value that is valid in form but not allowed here
  | 'MissingProjectId'    // 400
  | 'NotAuthenticated'    // 401
  | 'Forbidden'           // 403: policy
  | 'Quota'               // 403: quota exceeded
  | 'NotFound'            // 404
  | 'ParentNotFound'      // 404: the pool or L7 policy a sub-resource path hangs under (HTTP-layer body)
  | 'MethodNotAllowed'    // 405
  | 'Conflict'            // 409: duplicate, in use
  | 'Immutable'           // 409: object is PENDING_* (or the LB is)
  | 'TooLarge'            // 413
  | 'UnsupportedMedia'    // 415
  | 'NotImplemented'      // 501: provider cannot do this
  | 'Unavailable';        // 503

const STATUS: Record<ErrorKind, number> = {
  Validation: 400, BadQuery: 400, ParentNotFound: 404, InvalidOption: 400, MissingProjectId: 400, NotAuthenticated: 401,
  Forbidden: 403, Quota: 403, NotFound: 404, MethodNotAllowed: 405, Conflict: 409,
  Immutable: 409, TooLarge: 413, UnsupportedMedia: 415, NotImplemented: 501, Unavailable: 503,
};

export class FulcrumError extends Error {
  readonly kind: ErrorKind;
  readonly status: number;
  constructor(kind: ErrorKind, message: string) {
    super(message);
    this.kind = kind;
    this.status = STATUS[kind];
  }
}

/** Constructors for the messages clients see; phrased as Octavia phrases them where clients match on text. */
export const Errors = {
  invalidField: (field: string, value: unknown, reason: string) =>
    new FulcrumError('Validation', `Invalid input for field/attribute ${field}. Value: '${show(value)}'. ${reason}`),
  validation: (message: string) => new FulcrumError('Validation', `Validation failure: ${message}`),
  invalidOption: (message: string) => new FulcrumError('InvalidOption', message),
  /** `argument` is WSME's path: the controller argument, then the attributes down to the object. */
  unknownAttribute: (names: string[], argument: string) =>
    new FulcrumError('Validation', `Unknown attribute${names.length > 1 ? 's' : ''} for argument ${argument}: ${names.join(', ')}`),
  missingProject: () => new FulcrumError('MissingProjectId', 'Missing project ID in request where one is required.'),
  notAuthenticated: () => new FulcrumError('NotAuthenticated', 'The request you have made requires authentication.'),
  forbidden: () => new FulcrumError('Forbidden', 'Policy does not allow this request to be performed.'),
  /** Identity API (Keystone's wording) and token validation. */
  badRequest: (message: string) => new FulcrumError('Validation', message),
  identityConflict: (noun: string, name: string) => new FulcrumError('Conflict', `Duplicate entry: ${noun} ${name} already exists.`),
  identityUnavailable: () => new FulcrumError('Unavailable', 'The identity service could not validate the token; try again later.'),
  quota: (resource: string) =>
    new FulcrumError('Quota', `Quota has been met for resources: ${resource}`),
  notFound: (resource: string, id: string) => new FulcrumError('NotFound', `${resource} ${id} not found.`),
  parentNotFound: (resource: string, id: string) => new FulcrumError('ParentNotFound', `${resource} ${id} not found.`),
  badQuery: (message: string) => new FulcrumError('BadQuery', message),
  immutable: (resource: string, id: string) =>
    new FulcrumError('Immutable', `${resource} ${id} is immutable and cannot be updated.`),
  lbPending: (state: string, id: string) =>
    new FulcrumError('Immutable', `Invalid state ${state} of loadbalancer resource ${id}`),
  conflict: (message: string) => new FulcrumError('Conflict', message),
  tooLarge: (limit: number) => new FulcrumError('TooLarge', `Request body is larger than ${limit} bytes.`),
  notImplemented: (message: string) => new FulcrumError('NotImplemented', message),
  l7PolicyArgs: (reason: string) => new FulcrumError('Validation', `Invalid L7 Policy arguments: ${reason}`),
  l7PolicyAction: (action: string) => new FulcrumError('Validation', `Invalid L7 Policy action specified: ${action}`),
  l7Rule: (reason: string) => new FulcrumError('Validation', `Error parsing L7Rule: ${reason}`),
  tooManyL7Rules: (policyId: string) => new FulcrumError('Conflict', `Too many rules on L7 policy ${policyId}`),
  /** Octavia's CertificateRetrievalException (a list of refs), with what was wrong with each. */
  certificateRefs: (refs: { ref: string; reason: string }[]) =>
    new FulcrumError('Validation', `Could not retrieve certificate: ${pyStr(refs.map((r) => r.ref))} (${refs.map((r) => r.reason).join('; ')})`),
  /** The key manager's own refusals (Barbican's {code,title,description} bodies). */
  secret: (message: string) => new FulcrumError('Validation', message),
  secretNotFound: (what: 'Secret' | 'Container') => new FulcrumError('NotFound', `${what} not found.`),
  secretForbidden: (what: 'Secret' | 'Container') =>
    new FulcrumError('Forbidden', `${what} retrieval attempt not allowed - please review your user/project privileges`),
  secretInUse: (what: 'Secret' | 'Container', users: string[]) =>
    new FulcrumError('Conflict', `${what} is in use by ${users.join(', ')}; remove it from them first.`),
};

/** Values appear as Python prints them (None, [1, 2]), as in Octavia's messages. */
function show(value: unknown): string {
  return pyStr(value);
}
