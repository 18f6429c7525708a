/** Shared fast-check generators. */
import fc from "fast-check";

/** Any value at all, including the awkward ones a log field can hold (BigInt, Map, sparse arrays...). */
export const anyValue = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
});
