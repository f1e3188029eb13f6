// The rows of Fulcrum's built-in identity (a minimal Keystone v3): one "Default" domain,
// projects, users with hashed passwords, role assignments on projects, application
// credentials, and issued tokens (stored by their sha256, never in clear).

export interface IdentityProject {
  id: string;
  name: string;
  domain_id: string;
  description: string;
  enabled: boolean;
  created_at: string;
}

export interface IdentityUser {
  id: string;
  name: string;
  domain_id: string;
  /** `scrypt$N$r$p$salt$hash` (see identity/passwords.ts); never the password itself. */
  password_hash: string;
  default_project_id: string | null;
  enabled: boolean;
  created_at: string;
}

export interface IdentityRoleAssignment {
  project_id: string;
  user_id: string;
  role: string;
}

export interface IdentityAppCredential {
  id: string;
  user_id: string;
  project_id: string;
  name: string;
  description: string;
  secret_hash: string;
  /** Role names the credential carries (a subset of the user's on its project). */
  roles: string[];
  expires_at: string | null;
  created_at: string;
}

export interface IdentityToken {
  /** sha256 (hex) of the token string. */
  id: string;
  user_id: string;
  project_id: string | null;
  roles: string[];
  methods: string[];
  app_credential_id: string | null;
  issued_at: string;
  expires_at: string;
}
