// The names a generated module takes from its workflow file's name.
import { moduleFileName, typeNameOf, valueNameOf } from '../../lib/codegen/names';

const cases: ReadonlyArray<readonly [string, string, string, string]> = [
  ['Text to Image - SDXL.json', 'text-to-image-sdxl.ts', 'TextToImageSdxl', 'textToImageSdxl'],
  ['CogView4_TextToImage.json', 'cog-view4-text-to-image.ts', 'CogView4TextToImage', 'cogView4TextToImage'],
  ['Text to Video - Wan 2.2 Lightning w_ Concept LoRAs.json', 'text-to-video-wan-2-2-lightning-w-concept-loras.ts', 'TextToVideoWan22LightningWConceptLoras', 'textToVideoWan22LightningWConceptLoras'],
  ['sdxl-text-to-image.json', 'sdxl-text-to-image.ts', 'SdxlTextToImage', 'sdxlTextToImage'],
  ['2 images.json', '2-images.ts', 'Workflow2Images', 'workflow2Images'],
  ['Délai.json', 'delai.ts', 'Delai', 'delai'],
  ['delete.json', 'delete.ts', 'Delete', 'deleteWorkflow'],
  ['!!!.json', 'workflow.ts', 'UnnamedWorkflow', 'unnamedWorkflow'],
];

it.each(cases)('%s → %s, %s, %s', (source, file, type, value) => {
  expect([moduleFileName(source), typeNameOf(source), valueNameOf(source)]).toEqual([file, type, value]);
});
