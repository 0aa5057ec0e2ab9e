// `/api/v1/app/...` and the OpenAPI document: what a client reads first.
import { json, type Router } from '../http';
import type { Sim } from '../sim';

/** The app routes. */
export const appRoutes = ({ route }: Router, sim: Sim): void => {
  const { index } = sim;
  route('GET', '/api/v1/app/version', () => json(200, { version: '6.14.0-alpha' }), true);
  route('GET', '/openapi.json', () => json(200, index.document), true);
  route('GET', '/api/v1/app/app_deps', () => json(200, { invokeai: '6.14.0-alpha', simulator: 'invokeai-rx' }));
};
