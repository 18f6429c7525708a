/**
 * The keywords of the device's JSON Schema subset: the `Schema` type a config schema is written
 * in, and the lists `checkSchema` holds a schema to. What is not named here is refused by
 * `checkSchema` (an unknown keyword), so nothing is silently ignored on the device.
 */

export type SchemaType = "object" | "array" | "string" | "number" | "integer" | "boolean" | "null";

export interface Schema {
  type?: SchemaType | readonly SchemaType[];
  properties?: { readonly [name: string]: Schema };
  required?: readonly string[];
  additionalProperties?: boolean | Schema;
  enum?: readonly unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  /** In Unicode code points, as JSON Schema counts. */
  minLength?: number;
  maxLength?: number;
  /** A simple pattern: see the header and `isSimplePattern`. */
  pattern?: string;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  description?: string;
  title?: string;
}

export const TYPES: readonly string[] = [
  "object",
  "array",
  "string",
  "number",
  "integer",
  "boolean",
  "null",
];

export const KEYWORDS: readonly string[] = [
  "type",
  "properties",
  "required",
  "additionalProperties",
  "enum",
  "const",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minLength",
  "maxLength",
  "pattern",
  "items",
  "minItems",
  "maxItems",
  "default",
  "description",
  "title",
];
