// `/api/v1/workflows/...`: the workflow library, listed, read, created, updated and deleted.
import { randomUUID } from 'crypto';
import { json, notFound, unprocessable, type Router } from '../http';
import type { Sim } from '../sim';
import { fieldRequired, isRecord } from '../validate';
import { workflowListItem } from '../workflows';

/** The workflow library routes. */
export const workflowRoutes = ({ route }: Router, sim: Sim): void => {
  const { workflows } = sim;
  route('GET', '/api/v1/workflows/', (ctx) => {
    const page = Number(ctx.query.get('page') ?? 0);
    const perPageRaw = ctx.query.get('per_page');
    const cats = ctx.query.getAll('categories');
    const q = ctx.query.get('query')?.toLowerCase();
    const list = workflows
      .all()
      .map(workflowListItem)
      .filter((w) => cats.length === 0 || cats.includes(w.category as string))
      .filter((w) => !q || String(w.name).toLowerCase().includes(q) || String(w.description).toLowerCase().includes(q))
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
    const perPage = perPageRaw === null ? Math.max(1, list.length) : Number(perPageRaw);
    return json(200, { page, pages: Math.ceil(list.length / perPage), per_page: perPage, total: list.length, items: list.slice(page * perPage, page * perPage + perPage) });
  });
  const workflowDto = (id: string): Record<string, unknown> => {
    const r = workflows.get(id) ?? notFound(`Workflow with id ${id} not found`);
    return { ...r, thumbnail_url: null };
  };
  route('GET', '/api/v1/workflows/i/{workflow_id}', (ctx) => json(200, workflowDto(ctx.params.workflow_id ?? '')));
  route('POST', '/api/v1/workflows/', async (ctx) => {
    const body = await ctx.body();
    if (!isRecord(body) || !isRecord(body.workflow)) return unprocessable([fieldRequired(['body', 'workflow'], body)]);
    const { id: _dropped, ...wf } = body.workflow;
    const rec = workflows.create(`${randomUUID()}`, wf, ctx.user.user_id);
    return json(200, { ...rec, thumbnail_url: null });
  });
  route('PATCH', '/api/v1/workflows/i/{workflow_id}', async (ctx) => {
    const body = await ctx.body();
    if (!isRecord(body) || !isRecord(body.workflow)) return unprocessable([fieldRequired(['body', 'workflow'], body)]);
    const rec = workflows.update(ctx.params.workflow_id ?? '', body.workflow) ?? notFound(`Workflow with id ${ctx.params.workflow_id} not found`);
    return json(200, { ...rec, thumbnail_url: null });
  });
  route('DELETE', '/api/v1/workflows/i/{workflow_id}', (ctx) => {
    if (!workflows.delete(ctx.params.workflow_id ?? '')) notFound(`Workflow with id ${ctx.params.workflow_id} not found`);
    return json(200, null);
  });

};
