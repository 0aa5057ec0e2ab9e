import { parseSimArgs, runSimCommand, SimUsageError } from '../../lib/testing/cli';

describe('invokeai-rx sim arguments', () => {
  it('parses port, step time, steps and base path', () => {
    expect(parseSimArgs([])).toEqual({ port: 9090 });
    expect(parseSimArgs(['--port', '0', '--step-ms', '5', '--steps', '4', '--base-path', '/x'])).toEqual({ port: 0, stepMs: 5, steps: 4, basePath: '/x' });
  });

  it('rejects bad arguments with a usage message', () => {
    expect(() => parseSimArgs(['--port', 'abc'])).toThrow(SimUsageError);
    expect(() => parseSimArgs(['--bogus'])).toThrow(/Usage: invokeai-rx sim/);
  });
});

describe('runSimCommand', () => {
  it('prints the URL, serves until SIGINT, then closes', async () => {
    const lines: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const done = runSimCommand(['--port', '0', '--step-ms', '1']);
      const start = Date.now();
      while (!lines.some((l) => l.includes('http://127.0.0.1:')) && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 5));
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(lines.join(''))?.[0];
      expect(url).toBeDefined();
      const res = await fetch(`${url}/api/v1/app/version`);
      expect(await res.json()).toEqual({ version: '6.14.0-alpha' });
      process.emit('SIGINT');
      await done;
      expect(lines.join('')).toContain('stopped');
      await expect(fetch(`${url}/api/v1/app/version`)).rejects.toThrow();
    } finally {
      spy.mockRestore();
    }
  });
});
