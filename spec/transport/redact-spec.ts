import { inspect } from 'util';
import { REDACTED, redactError, redactText, redactUrl, redactValue, redactingLogger } from '../../lib/transport/redact';

describe('redactText', () => {
  it('drops the credentials of every URL in a text, whatever the scheme, and keeps the rest', () => {
    expect(redactText('GET http://admin:hunter2@host:9090/api?x=1 failed; see wss://u:p@w@h/ws')).toBe('GET http://host:9090/api?x=1 failed; see wss://h/ws');
    expect(redactText('mail me at a@b.example, http://host/path')).toBe('mail me at a@b.example, http://host/path');
  });

  it('replaces the values of token-like query parameters and JSON fields', () => {
    expect(redactText('/x?access_token=abc&page=2&api_key=k1;password=p')).toBe(`/x?access_token=${REDACTED}&page=2&api_key=${REDACTED};password=${REDACTED}`);
    expect(redactText('{"token":"abc","name":"n","refresh_token":"x\\"y","Authorization":"Bearer q"}')).toBe(
      `{"token":"${REDACTED}","name":"n","refresh_token":"${REDACTED}","Authorization":"${REDACTED}"}`,
    );
  });

  it('replaces Bearer and Basic credentials, JSON Web Tokens and the secrets it is given', () => {
    expect(redactText('authorization: Bearer abc.def-ghi_=')).toBe(`authorization: Bearer ${REDACTED}`);
    expect(redactText('Basic dXNlcjpwYXNz')).toBe(`Basic ${REDACTED}`);
    expect(redactText('token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-part expired')).toBe(`token ${REDACTED} expired`);
    expect(redactText('your key s3cr3t.value (s3cr3t.value)', ['s3cr3t.value'])).toBe(`your key ${REDACTED} (${REDACTED})`);
    // A secret too short to protect anything is not searched for, so messages stay readable.
    expect(redactText('an ab in a cab', ['ab'])).toBe('an ab in a cab');
  });

  it('leaves ordinary messages alone', () => {
    const text = 'GET /api/v1/images/i/a.png/full failed with HTTP 404: model key sdxl-base, author "me"';
    expect(redactText(text)).toBe(text);
  });
});

describe('redactUrl and redactValue', () => {
  it('redacts a URL and the strings in a value, keeping its shape', () => {
    expect(redactUrl('http://u:p@h/x?token=t')).toBe(`http://h/x?token=${REDACTED}`);
    expect(redactValue({ detail: [{ msg: 'bad Bearer abc', loc: ['body'] }] })).toEqual({ detail: [{ msg: `bad Bearer ${REDACTED}`, loc: ['body'] }] });
    const untouched = { a: 1 };
    expect(redactValue(untouched)).toBe(untouched);
  });
});

describe('redactError', () => {
  it('redacts the message, stack, string fields and the chain of causes in place', () => {
    const root = Object.assign(new Error('connect to http://u:pw@h failed'), { input: 'http://u:pw@h/x' });
    const outer = Object.assign(new Error('request failed: http://u:pw@h'), { cause: root });
    expect(redactError(outer)).toBe(outer);
    const shown = inspect(outer, { depth: 5, showHidden: true });
    expect(shown).not.toContain('pw');
    expect(root.input).toBe('http://h/x');
  });
});

describe('redactingLogger', () => {
  it('redacts messages and contexts, with the secrets known at each line, and wraps a logger once', () => {
    const lines: unknown[] = [];
    const secrets = ['first-token'];
    const logger = redactingLogger({ warn: (m: string, c?: Readonly<Record<string, unknown>>) => lines.push(m, c) }, () => secrets);
    logger?.warn?.('refused first-token', { error: new Error('at http://u:p@h'), url: 'http://h/?token=z' });
    secrets.push('second-token');
    logger?.warn?.('then second-token');
    expect(lines[0]).toBe(`refused ${REDACTED}`);
    expect((lines[1] as { error: Error }).error.message).toBe('at http://h');
    expect((lines[1] as { url: string }).url).toBe(`http://h/?token=${REDACTED}`);
    expect(lines[2]).toBe(`then ${REDACTED}`);
    expect(redactingLogger(logger)).toBe(logger);
    expect(redactingLogger(undefined)).toBeUndefined();
  });
});
