import { describe, expect, it } from "vitest";
import { checkSchema } from "../../../runtime/schema/check.js";
import { config, device } from "../../fixtures/schemas.js";
import { wifi } from "../../fixtures/wifiSchema.js";

/* ----------------------------------------------------------------------------------------------
 * checkSchema
 * ------------------------------------------------------------------------------------------- */

describe("checkSchema", () => {
  it("accepts the schemas the tests share", () => {
    for (const schema of [wifi, config, device]) expect(checkSchema(schema)).toEqual([]);
  });

  it.each<[string, unknown, string[]]>([
    ["not an object", [], [": must be a schema (an object)"]],
    ["null", null, [": must be a schema (an object)"]],
    ["unknown keyword", { type: "string", format: "email" }, [": unknown keyword 'format'"]],
    ["2019 keyword", { $ref: "#" }, [": unknown keyword '$ref'"]],
    [
      "unknown type",
      { type: "float" },
      [
        "/type: must be one of object, array, string, number, integer, boolean, null, or a list of them",
      ],
    ],
    [
      "empty type list",
      { type: [] },
      [
        "/type: must be one of object, array, string, number, integer, boolean, null, or a list of them",
      ],
    ],
    [
      "repeated type",
      { type: ["string", "string"] },
      [
        "/type: must be one of object, array, string, number, integer, boolean, null, or a list of them",
      ],
    ],
    ["properties not an object", { properties: [] }, ["/properties: must be an object of schemas"]],
    [
      "non-ASCII property name",
      { properties: { café: {} } },
      ["/properties: property names must be ASCII"],
    ],
    [
      "bad sub-schema",
      { properties: { a: { minimum: "1" } } },
      ["/properties/a/minimum: must be a finite number"],
    ],
    [
      "sub-schema not an object",
      { properties: { a: true } },
      ["/properties/a: must be a schema (an object)"],
    ],
    [
      "required not strings",
      { required: [1] },
      ["/required: must be an array of distinct ASCII strings"],
    ],
    [
      "required repeated",
      { required: ["a", "a"] },
      ["/required: must be an array of distinct ASCII strings"],
    ],
    [
      "required non-ASCII",
      { required: ["é"] },
      ["/required: must be an array of distinct ASCII strings"],
    ],
    [
      "additionalProperties",
      { additionalProperties: "no" },
      ["/additionalProperties: must be a boolean or a schema"],
    ],
    [
      "additionalProperties schema",
      { additionalProperties: { type: 1 } },
      [
        "/additionalProperties/type: must be one of object, array, string, number, integer, boolean, null, or a list of them",
      ],
    ],
    ["empty enum", { enum: [] }, ["/enum: must be a non-empty array of distinct JSON values"]],
    [
      "enum not JSON",
      { enum: [Number.NaN] },
      ["/enum: must be a non-empty array of distinct JSON values"],
    ],
    [
      "enum repeated",
      {
        enum: [
          { a: 1, b: 2 },
          { b: 2, a: 1 },
        ],
      },
      ["/enum: must be a non-empty array of distinct JSON values"],
    ],
    ["const not JSON", { const: { a: undefined } }, ["/const: must be a JSON value"]],
    [
      "minimum infinite",
      { minimum: Number.POSITIVE_INFINITY },
      ["/minimum: must be a finite number"],
    ],
    [
      "exclusiveMaximum boolean",
      { exclusiveMaximum: true },
      ["/exclusiveMaximum: must be a finite number"],
    ],
    ["minLength negative", { minLength: -1 }, ["/minLength: must be a non-negative integer"]],
    ["maxItems fractional", { maxItems: 1.5 }, ["/maxItems: must be a non-negative integer"]],
    ["pattern not a string", { pattern: 1 }, ["/pattern: must be a string"]],
    ["pattern not simple", { pattern: "^a?$" }, ['/pattern: "^a?$" is not a simple pattern']],
    ["tuple items", { items: [{}] }, ["/items: must be a schema (one for every item)"]],
    [
      "items checked",
      { items: { maxLength: "2" } },
      ["/items/maxLength: must be a non-negative integer"],
    ],
    [
      "title not a string",
      { title: 1, description: null },
      ["/title: must be a string", "/description: must be a string"],
    ],
    ["default not JSON", { default: () => 1 }, ["/default: must be a JSON value"]],
    [
      "default its schema refuses",
      {
        properties: { a: { type: "object", properties: { b: { maximum: 1 } }, default: { b: 2 } } },
      },
      ["/properties/a/default/b: must be <= 1"],
    ],
    [
      "escaped path",
      { properties: { "a/b~": { type: "x" } } },
      [
        "/properties/a~1b~0/type: must be one of object, array, string, number, integer, boolean, null, or a list of them",
      ],
    ],
  ])("%s", (_what, schema, expected) => {
    expect(checkSchema(schema)).toEqual(expected);
  });

  it("stops at a cyclic schema instead of overflowing the stack", () => {
    const schema: Record<string, unknown> = { type: "object" };
    schema.properties = { self: schema };
    const problems = checkSchema(schema);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/nested too deeply/);
  });
});
