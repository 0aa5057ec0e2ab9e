// `/api/v2/models/...`: the installed models, listed, by key and by attributes.
import { json, notFound, unprocessable, type Router } from '../http';
import { filterModels } from '../models';
import type { Sim } from '../sim';
import { fieldRequired } from '../validate';

/** The model routes. */
export const modelRoutes = ({ route }: Router, sim: Sim): void => {
  route('GET', '/api/v2/models/', (ctx) =>
    json(200, {
      models: filterModels(sim.models, {
        base_models: ctx.query.getAll('base_models'),
        model_type: ctx.query.get('model_type') ?? undefined,
        model_name: ctx.query.get('model_name') ?? undefined,
        model_format: ctx.query.get('model_format') ?? undefined,
      }),
    }),
  );
  route('GET', '/api/v2/models/i/{key}', (ctx) => json(200, sim.models.find((m) => m.key === ctx.params.key) ?? notFound(`Model with key ${ctx.params.key} not found`)));
  route('GET', '/api/v2/models/get_by_attrs', (ctx) => {
    const name = ctx.query.get('name');
    const type = ctx.query.get('type');
    const base = ctx.query.get('base');
    const missing = (['name', 'type', 'base'] as const).filter((k) => ctx.query.get(k) === null);
    if (missing.length) return unprocessable(missing.map((k) => fieldRequired(['query', k], null)));
    const m = sim.models.find((x) => x.name === name && x.type === type && x.base === base);
    return m ? json(200, m) : json(404, { detail: 'No model found with these attributes' });
  });
  route('GET', '/api/v2/models/missing', () => json(200, { models: [] }));

};
