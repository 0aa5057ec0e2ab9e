// Fixture loading for the graph, batch and output specs: real workflows decoded as users decode them.

import { Workflow } from '../../lib/workflow/workflow';
import type { Workflow as WorkflowValue } from '../../lib/workflow/workflow';
import { fixtureNames, readFixture, readFixtureText } from './helpers';

/** A workflow value from a parsed object. */
export const workflowFromObject = (value: unknown): WorkflowValue => Workflow.fromObject(value);

/** A default workflow by file name (without `.json`). */
export const defaultWorkflow = (name: string): WorkflowValue => Workflow.fromJson(readFixtureText('default-workflows', `${name}.json`));

/** A seed workflow by file name (without `.json`). */
export const seedWorkflow = (name: string): WorkflowValue => Workflow.fromJson(readFixtureText('seed-workflows', `${name}.json`));

/** The file names (without `.json`) of the 26 default workflows. */
export const defaultWorkflowNames = (): string[] =>
  fixtureNames('default-workflows')
    .map((f) => f.slice(0, -'.json'.length))
    .sort();

/** A completed queue item recorded from a real server. */
export const apiCall = (name: string): { session: { graph: { nodes: Record<string, Record<string, unknown>>; edges: unknown[] } }; workflow: unknown } =>
  readFixture('seed-workflows/api-calls', `${name}.json`) as never;
