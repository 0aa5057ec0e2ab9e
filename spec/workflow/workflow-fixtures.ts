// Fixture loading for the graph, batch and output specs: real workflows decoded as users decode them.

import { readFileSync, readdirSync } from 'fs';
import { join } from 'path';
import { Workflow } from '../../lib/workflow/workflow';
import type { Workflow as WorkflowValue } from '../../lib/workflow/types';

const FIXTURES = join(__dirname, '..', 'fixtures');

/** Reads a fixture file's text. */
export const fixtureText = (...path: string[]): string => readFileSync(join(FIXTURES, ...path), 'utf8');

/** A workflow value from a parsed object. */
export const workflowFromObject = (value: unknown): WorkflowValue => Workflow.fromObject(value);

/** A default workflow by file name (without `.json`). */
export const defaultWorkflow = (name: string): WorkflowValue => Workflow.fromJson(fixtureText('default-workflows', `${name}.json`));

/** A seed workflow by file name (without `.json`). */
export const seedWorkflow = (name: string): WorkflowValue => Workflow.fromJson(fixtureText('seed-workflows', `${name}.json`));

/** The file names (without `.json`) of the 26 default workflows. */
export const defaultWorkflowNames = (): string[] =>
  readdirSync(join(FIXTURES, 'default-workflows'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();

/** A completed queue item recorded from a real server. */
export const apiCall = (name: string): { session: { graph: { nodes: Record<string, Record<string, unknown>>; edges: unknown[] } }; workflow: unknown } =>
  JSON.parse(fixtureText('seed-workflows', 'api-calls', `${name}.json`)) as never;
