import { NetworkError } from '../../lib/transport/errors';
import { createClient } from '../../lib/client/client';
import { SimClient, startSim } from './sim-helpers';
import { app } from '../../lib/client/app';

describe('app(client)', () => {
  let sim: SimClient;
  afterEach(() => sim?.close());

  it('reads the version from /api/v1/app/version (there is no /health route)', async () => {
    sim = await startSim();
    await expect(app(sim.client).version()).resolves.toBe('6.14.0-alpha');
    await expect(app(sim.client).health()).resolves.toEqual({ ok: true, version: '6.14.0-alpha' });
    expect(sim.server.requests.map((r) => r.path)).toEqual(['/api/v1/app/version', '/api/v1/app/version']);
  });

  it('health() answers ok: false with the typed error instead of throwing when nothing listens', async () => {
    sim = await startSim();
    const url = sim.server.url;
    await sim.server.close();
    const client = createClient({ baseUrl: url, retry: false });
    const health = await app(client).health();
    client.close();
    expect(health.ok).toBe(false);
    if (!health.ok) expect(health.error).toBeInstanceOf(NetworkError);
  });

  it('authStatus() tells single-user from multi-user servers, without a token', async () => {
    sim = await startSim();
    await expect(app(sim.client).authStatus()).resolves.toMatchObject({ multiuser_enabled: false });
    await sim.close();
    sim = await startSim({ multiUser: { users: [{ email: 'a@x.test', password: 'pw', isAdmin: true }] } });
    await expect(app(sim.client).authStatus()).resolves.toMatchObject({ multiuser_enabled: true, admin_email: 'a@x.test' });
  });
});
