import { listOutputs } from '../../lib/workflow/outputs';
import type { WorkflowOutput } from '../../lib/workflow/types';
import { invocation, makeWorkflowJson } from './builders';
import { apiCall, defaultWorkflow, seedWorkflow, workflowFromObject } from './workflow-fixtures';

const ids = (outputs: readonly WorkflowOutput[]): string[] => outputs.map((o) => o.nodeId);

describe('listOutputs on the seed workflows', () => {
  it('sdxl-text-to-image: the l2i canvas_output (board in the form, saved to the gallery)', () => {
    expect(listOutputs(seedWorkflow('sdxl-text-to-image'))).toEqual([
      { nodeId: 'canvas_output:JbPTiAJ26r', nodeType: 'l2i', label: 'Latents to Image - SD1.5, SDXL', board: 'auto', boardInForm: true, producesMedia: true },
    ]);
  });

  it('flux-image-to-image: the flux_vae_decode with board "none" → null; the `image` pass-through node is not an output', () => {
    expect(listOutputs(seedWorkflow('flux-image-to-image'))).toEqual([
      { nodeId: '7e5172eb-48c1-44db-a770-8fd83e1435d1', nodeType: 'flux_vae_decode', label: 'Latents to Image - FLUX', board: null, boardInForm: true, producesMedia: true },
    ]);
  });

  it('sdxl-flux-refine: the three save_image nodes (the intermediate l2i, hed and flux decoders are not outputs)', () => {
    const outputs = listOutputs(seedWorkflow('sdxl-flux-refine'));
    expect(ids(outputs)).toEqual(['4414d4b5-82c3-4513-8c3f-86d88c24aadc', '67e997b2-2d56-43f4-8d2e-886c04e18d9f', 'abc466fe-12eb-48a5-87d8-488c8bda180f']);
    expect(outputs.map((o) => o.board)).toEqual([null, 'a17c2b12-d25a-4e41-9217-d94a543b9e73', 'a17c2b12-d25a-4e41-9217-d94a543b9e73']);
    expect(outputs.every((o) => o.nodeType === 'save_image' && o.boardInForm && o.producesMedia)).toBe(true);
  });

  it('copy-image: its save_image node with a user label; example-nodes: none', () => {
    expect(listOutputs(seedWorkflow('copy-image'))).toEqual([
      { nodeId: 'node-save', nodeType: 'save_image', label: 'Save Image (Copy)', board: 'auto', boardInForm: true, producesMedia: true },
    ]);
    expect(listOutputs(seedWorkflow('example-nodes'))).toEqual([]);
  });

  it.each(['call-wf-sdxl-text-to-image', 'call-wf-flux-image-to-image', 'call-wf-sdxl-flux-refine'])(
    '%s: the outputs are exactly the non-intermediate nodes whose results on the real server hold images (pass-through nodes aside)',
    (name) => {
      const item = apiCall(name) as unknown as {
        workflow: unknown;
        session: {
          graph: { nodes: Record<string, { type: string; is_intermediate?: boolean }> };
          results: Record<string, Record<string, unknown>>;
          prepared_source_mapping: Record<string, string>;
        };
      };
      const workflowJson: unknown = typeof item.workflow === 'string' ? JSON.parse(item.workflow) : item.workflow;
      const imageProducers = new Set(
        Object.entries(item.session.results)
          .filter(([, r]) => typeof r['image'] === 'object' || typeof r['video'] === 'object')
          .map(([prepared]) => item.session.prepared_source_mapping[prepared]!),
      );
      const gallery = [...imageProducers].filter((id) => {
        const node = item.session.graph.nodes[id]!;
        return node.is_intermediate === false && !['image', 'video', 'load_image'].includes(node.type);
      });
      expect(ids(listOutputs(workflowFromObject(workflowJson))).sort()).toEqual(gallery.sort());
      expect(gallery.length).toBeGreaterThan(0);
    },
  );
});

describe('listOutputs on default workflows', () => {
  it.each([
    ['Text to Image - SD1.5', ['58c957f5-0d01-41fc-a803-b2bbf0413d4f']],
    ['Tiled Upscaling (Beta)', ['234192f1-ee96-49be-a5d1-bad4c52a9012']],
    ['Face Detailer with IP-Adapter & Canny (See Note in Details)', ['2224ed72-2453-4252-bd89-3085240e0b6f', 'a7d14545-aa09-4b96-bfc5-40c009af9110']],
    ['Extend Video - Wan 2.2 Lightning', ['6f5dcb1c-e27d-9fb0-d16f-7e8cbaa1fcbd', '4b32c22b-679d-4d5e-a167-c3309265fcd9']],
  ])('%s', (name, expected) => {
    expect(ids(listOutputs(defaultWorkflow(name)))).toEqual(expected);
  });

  it('Extend Video: both video producers, saved to the auto board, board not in the form', () => {
    const outputs = listOutputs(defaultWorkflow('Extend Video - Wan 2.2 Lightning'));
    expect(outputs.map((o) => [o.nodeType, o.label, o.board, o.boardInForm, o.producesMedia])).toEqual([
      ['wan_l2v', 'Latents to Video - Wan 2.2', 'auto', false, true],
      ['video_concat', 'Concatenate Videos', 'auto', false, true],
    ]);
  });

  it('Prompt from File: the intermediate l2i is an output only because its board is in the form', () => {
    expect(listOutputs(defaultWorkflow('Prompt from File'))).toEqual([
      { nodeId: '491ec988-3c77-4c37-af8a-39a0c4e7a2a1', nodeType: 'l2i', label: 'Latents to Image - SD1.5, SDXL', board: 'auto', boardInForm: true, producesMedia: false },
    ]);
  });
});

describe('listOutputs rules', () => {
  const wf = (nodes: unknown[], form: [string, string][] = []) => workflowFromObject(makeWorkflowJson(nodes, [], form));

  it('skips intermediate nodes, pass-through image/video/load_image nodes and nodes without media outputs', () => {
    const outputs = listOutputs(
      wf([
        invocation('inter', 'l2i', {}, { isIntermediate: true }),
        invocation('img', 'image', { image: { image_name: 'a.png' } }, { isIntermediate: false }),
        invocation('load', 'load_image', {}, { isIntermediate: false }),
        invocation('int', 'integer', { value: 1 }, { isIntermediate: false }),
        invocation('save', 'save_image', { board: { board_id: 'b1' } }, { isIntermediate: false, label: 'Final' }),
      ]),
    );
    expect(outputs).toEqual([{ nodeId: 'save', nodeType: 'save_image', label: 'Final', board: 'b1', boardInForm: false, producesMedia: true }]);
  });

  it('counts image collection outputs as media, and leaves batch and generator nodes out', () => {
    const outputs = listOutputs(
      wf([
        invocation('coll', 'alibabacloud_image_generation', {}, { isIntermediate: false }),
        invocation('b', 'image_batch', { batch_group_id: 'None', images: [{ image_name: 'a.png' }] }, { isIntermediate: false }),
      ]),
    );
    expect(ids(outputs)).toEqual(['coll']);
  });

  it('an intermediate node whose board is in the form is an output; a board elsewhere in the form is not enough', () => {
    const outputs = listOutputs(
      wf(
        [invocation('dec', 'flux_vae_decode', { board: 'none' }), invocation('other', 'l2i', { board: 'auto' })],
        [
          ['dec', 'board'],
          ['other', 'tile_size'],
        ],
      ),
    );
    expect(outputs).toEqual([{ nodeId: 'dec', nodeType: 'flux_vae_decode', label: 'Latents to Image - FLUX', board: null, boardInForm: true, producesMedia: false }]);
  });

  it('a custom node type (unknown template) is an output when its board is in the form', () => {
    const outputs = listOutputs(wf([invocation('x', 'my_pack_saver', { board: { board_id: 'b2' } })], [['x', 'board']]));
    expect(outputs).toEqual([{ nodeId: 'x', nodeType: 'my_pack_saver', label: 'my_pack_saver', board: 'b2', boardInForm: true, producesMedia: false }]);
  });
});
