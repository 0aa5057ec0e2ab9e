/** Multi-user mode of the simulator: users, opaque bearer tokens and login. */
import { randomBytes } from 'crypto';
import { sqliteNow } from './clock';

/** A user a test configures for multi-user mode. */
export interface MockUser {
  readonly email: string;
  readonly password: string;
  readonly displayName?: string;
  readonly isAdmin?: boolean;
}

/** `UserDTO` as served. */
export interface UserDTO {
  readonly user_id: string;
  readonly email: string;
  readonly display_name: string | null;
  readonly is_admin: boolean;
  readonly is_active: boolean;
  readonly created_at: string;
  readonly updated_at: string;
  readonly last_login_at: string | null;
  readonly token_epoch: number;
}

/** Users and issued tokens. */
export class AuthStore {
  private readonly users = new Map<string, { dto: UserDTO; password: string }>();
  private readonly tokens = new Map<string, string>();

  constructor(users: ReadonlyArray<MockUser>) {
    users.forEach((u, i) => {
      const now = sqliteNow();
      const dto: UserDTO = {
        user_id: `user-${i + 1}`,
        email: u.email,
        display_name: u.displayName ?? null,
        is_admin: u.isAdmin ?? false,
        is_active: true,
        created_at: now,
        updated_at: now,
        last_login_at: null,
        token_epoch: 0,
      };
      this.users.set(u.email, { dto, password: u.password });
    });
  }

  /** The first admin's email, as `auth/status` reports it. */
  adminEmail(): string | null {
    return [...this.users.values()].find((u) => u.dto.is_admin)?.dto.email ?? null;
  }

  /** Checks credentials and issues a token. */
  login(email: string, password: string): { token: string; user: UserDTO } | undefined {
    const u = this.users.get(email);
    if (!u || u.password !== password) return undefined;
    const token = this.issue(u.dto.user_id);
    return { token, user: u.dto };
  }

  /** Issues a new token for a user (also used for `X-Refreshed-Token`). */
  issue(userId: string): string {
    // opaque but JWT-shaped, so clients that split on '.' do not choke
    const token = `sim.${randomBytes(12).toString('hex')}.${userId}`;
    this.tokens.set(token, userId);
    return token;
  }

  /** The user a token belongs to. */
  userFor(token: string | undefined): UserDTO | undefined {
    if (!token) return undefined;
    const id = this.tokens.get(token);
    return id ? [...this.users.values()].find((u) => u.dto.user_id === id)?.dto : undefined;
  }

  /** Revokes a token (logout keeps the JWT valid on the real server; tests can use this to expire one). */
  revoke(token: string): void {
    this.tokens.delete(token);
  }
}
