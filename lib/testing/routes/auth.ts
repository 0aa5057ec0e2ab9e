// `/api/v1/auth/...`: sign-in of multi-user mode (a token, also set as the media cookie), and who the caller is.
import { json, type Router } from '../http';
import type { Sim } from '../sim';
import { isRecord } from '../validate';

/** The auth routes. */
export const authRoutes = ({ route }: Router, sim: Sim): void => {
  const { auth, multi, basePath } = sim;
  route('GET', '/api/v1/auth/status', () => json(200, { setup_required: false, multiuser_enabled: multi, strict_password_checking: false, admin_email: auth?.adminEmail() ?? null }), true);
  route(
    'POST',
    '/api/v1/auth/login',
    async (ctx) => {
      if (!auth) return json(403, { detail: 'Multiuser mode is disabled. Authentication is not required in single-user mode.' });
      const body = await ctx.body();
      const email = isRecord(body) && typeof body.email === 'string' ? body.email : '';
      const password = isRecord(body) && typeof body.password === 'string' ? body.password : '';
      const r = auth.login(email, password, isRecord(body) && body.remember_me === true);
      if (!r) return json(401, { detail: 'Incorrect email or password' });
      return json(200, { token: r.token, user: r.user, expires_in: r.expiresIn }, { 'Set-Cookie': `invokeai_media_token=${r.token}; HttpOnly; Max-Age=${r.expiresIn}; Path=${basePath}/api/v1; SameSite=Lax` });
    },
    true,
  );
  route('POST', '/api/v1/auth/logout', () => json(200, { success: true }));
  route('GET', '/api/v1/auth/me', (ctx) => json(200, ctx.user));

};
