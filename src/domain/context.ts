// Who is asking, as services see it. The API edge builds it from the auth mode in force;
// roles and scope are carried even in noauth so RBAC can be added without changing services.
export interface RequestContext {
  /** The project the caller acts for; null when the request names none. */
  projectId: string | null;
  userId: string | null;
  roles: string[];
  /** Admin sees and may change every project's objects. */
  isAdmin: boolean;
}
