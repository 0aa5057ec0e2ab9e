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

/** How long tokens live, and the clock that says when they have expired. */
export interface TokenLifetime {
  /** Seconds a token lives (default as InvokeAI: 86400, or 604800 when logging in with `remember_me`). */
  readonly seconds?: number;
  /** The clock of expiry, in ms (default `Date.now`); tests pass their own to expire tokens without waiting. */
  readonly now?: () => number;
}

/** InvokeAI's token lifetimes: a day, or a week with `remember_me`. */
const DAY_S = 86400;
const WEEK_S = 604800;

/** Users and issued tokens. */
export class AuthStore {
  private readonly users = new Map<string, { dto: UserDTO; password: string }>();
  private readonly tokens = new Map<string, { readonly userId: string; readonly expiresAt: number; readonly lifetimeS: number }>();
  private readonly now: () => number;

  constructor(
    users: ReadonlyArray<MockUser>,
    private readonly lifetime: TokenLifetime = {},
  ) {
    this.now = lifetime.now ?? Date.now;
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

  /** Checks credentials and issues a token; `expiresIn` is its lifetime in seconds. */
  login(email: string, password: string, rememberMe = false): { token: string; user: UserDTO; expiresIn: number } | undefined {
    const u = this.users.get(email);
    if (!u || u.password !== password) return undefined;
    const lifetimeS = this.lifetime.seconds ?? (rememberMe ? WEEK_S : DAY_S);
    return { token: this.issue(u.dto.user_id, lifetimeS), user: u.dto, expiresIn: lifetimeS };
  }

  /** Issues a new token for a user, living `lifetimeS` from now. */
  issue(userId: string, lifetimeS: number = this.lifetime.seconds ?? DAY_S): string {
    // opaque but JWT-shaped, so clients that split on '.' do not choke
    const token = `sim.${randomBytes(12).toString('hex')}.${userId}`;
    this.tokens.set(token, { userId, expiresAt: this.now() + lifetimeS * 1000, lifetimeS });
    return token;
  }

  /** The sliding refresh: a new token for the same user, with the lifetime the given one was issued with. */
  refresh(token: string): string | undefined {
    const record = this.tokens.get(token);
    return record === undefined ? undefined : this.issue(record.userId, record.lifetimeS);
  }

  /** The user a token belongs to, while it has not expired. */
  userFor(token: string | undefined): UserDTO | undefined {
    if (!token) return undefined;
    const record = this.tokens.get(token);
    if (record === undefined) return undefined;
    if (this.now() >= record.expiresAt) {
      this.tokens.delete(token);
      return undefined;
    }
    return [...this.users.values()].find((u) => u.dto.user_id === record.userId)?.dto;
  }

  /** Revokes a token (logout keeps the JWT valid on the real server; tests can use this to expire one). */
  revoke(token: string): void {
    this.tokens.delete(token);
  }
}
