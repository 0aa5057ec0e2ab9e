// Test data as the client would hold it after decoding a server's answer: checked by the codec,
// with its ids branded. A value the codec rejects is a mistake in the test, and throws.
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/Either';
import { formatPathIssues, toPathIssues } from '../lib/protocol/issues';

/** `codec.decode(value)`, or a throw that says what does not fit. */
export const asDecoded = <A, O>(codec: t.Type<A, O, unknown>, value: unknown): A => {
  const result = codec.decode(value);
  if (isLeft(result)) throw new TypeError(`test data is no ${codec.name}: ${formatPathIssues(toPathIssues(result.left))}`);
  return result.right;
};
