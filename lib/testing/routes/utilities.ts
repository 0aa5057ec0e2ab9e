// `/api/v1/utilities/dynamicprompts`: `{a|b}` choices expanded, every combination or seeded random picks.
import { seededRandom } from '../events';
import { fieldRequired, isRecord } from '../validate';
import { json, unprocessable, type Router } from '../http';

/** Expands `{a|b}` choices: every combination (combinatorial) or `max` seeded random picks. */
const expandDynamicPrompt = (prompt: string, max: number, combinatorial: boolean, seed?: number): string[] => {
  const parts = prompt.split(/(\{[^{}]*\})/).map((p) => (p.startsWith('{') && p.endsWith('}') ? p.slice(1, -1).split('|') : [p]));
  if (combinatorial) {
    let out = [''];
    for (const choices of parts) {
      out = out.flatMap((prefix) => choices.map((c) => prefix + c));
      if (out.length > max) out = out.slice(0, max);
    }
    return out.slice(0, max);
  }
  const random = seededRandom(seed ?? 0);
  return Array.from({ length: max }, () => parts.map((choices) => choices[Math.floor(random() * choices.length)] ?? '').join(''));
};

/** The utility routes. */
export const utilityRoutes = ({ route }: Router): void => {
  route('POST', '/api/v1/utilities/dynamicprompts', async (ctx) => {
    const body = await ctx.body();
    if (!isRecord(body) || typeof body.prompt !== 'string') return unprocessable([fieldRequired(['body', 'prompt'], body)]);
    const max = typeof body.max_prompts === 'number' ? body.max_prompts : 1000;
    const seed = typeof body.seed === 'number' ? body.seed : undefined;
    return json(200, { prompts: expandDynamicPrompt(body.prompt, max, body.combinatorial !== false, seed), error: null });
  });

};
