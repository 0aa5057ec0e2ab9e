import { createHash } from 'crypto';
import * as fc from 'fast-check';
import { sha1 } from '../../lib/internal/sha1';
import { uuidV4, uuidV5 } from '../../lib/internal/uuid';

const DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

describe('sha1', () => {
  it('gives the digests of the FIPS 180 examples', () => {
    const hex = (text: string): string => Buffer.from(sha1(new TextEncoder().encode(text))).toString('hex');
    expect(hex('abc')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(hex('')).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    expect(hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('84983e441c3bd26ebaae4aa1f95129e5e54670f1');
  });

  it('agrees with Node for any bytes, across every padding boundary', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(Buffer.from(sha1(bytes)).toString('hex')).toBe(createHash('sha1').update(bytes).digest('hex'));
      }),
    );
  });
});

describe('uuidV5', () => {
  it('gives the RFC 9562 ids of known names', () => {
    expect(uuidV5('www.example.com', DNS)).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(uuidV5('python.org', DNS)).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });

  it('is the same for the same name and namespace, and differs when either differs', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(uuidV5(a, DNS)).toBe(uuidV5(a, DNS));
        expect(uuidV5(a, DNS)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        if (a !== b) expect(uuidV5(a, DNS)).not.toBe(uuidV5(b, DNS));
        expect(uuidV5(a, DNS)).not.toBe(uuidV5(a, URL_NAMESPACE));
      }),
    );
  });

  it('refuses a namespace that is not a uuid, saying so', () => {
    expect(() => uuidV5('x', 'default')).toThrow('the namespace must be a uuid, got "default"');
  });
});

describe('uuidV4', () => {
  it('is a fresh version 4 id each time', () => {
    const ids = new Set(Array.from({ length: 100 }, uuidV4));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
