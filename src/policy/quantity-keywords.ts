import type { FuncKeywordDefinition, DataValidateFunction } from "ajv/dist/types/index.js";
import { compareQuantities, isQuantity } from "../kuma/quantity.js";

// quantityMinimum / quantityMaximum: JSON Schema keywords for custom policy rules that compare
// Kubernetes quantities by value ("1Gi" > "1000Mi" > "1G"), exactly as the API server parses
// them (src/kuma/quantity.ts). A data value that is not a quantity fails the keyword.

/** Quantities in JSON are strings; a number (`cpu: 2`) is read as its decimal text, as Kubernetes does. */
function asQuantityText(data: unknown): string | undefined {
  if (typeof data === "string") return data;
  if (typeof data === "number" && Number.isFinite(data)) return String(data);
  return undefined;
}

function quantityKeyword(keyword: "quantityMinimum" | "quantityMaximum"): FuncKeywordDefinition {
  const isMaximum = keyword === "quantityMaximum";
  return {
    keyword,
    schemaType: "string",
    errors: true,
    compile(limit: string) {
      if (!isQuantity(limit)) throw new Error(`${keyword}: "${limit}" is not a Kubernetes quantity`);
      const bound = isMaximum ? `<= ${limit}` : `>= ${limit}`;
      const validate: DataValidateFunction = (data: unknown) => {
        const text = asQuantityText(data);
        const order = text === undefined ? undefined : compareQuantities(text, limit);
        if (order !== undefined && "value" in order && (isMaximum ? order.value <= 0 : order.value >= 0)) return true;
        const message = order !== undefined && "value" in order ? `must be ${bound}` : `must be a Kubernetes quantity ${bound}`;
        validate.errors = [{ keyword, message, params: { limit } }];
        return false;
      };
      return validate;
    },
  };
}

/** Both keywords, for `ajv.addKeyword`. */
export const QUANTITY_KEYWORDS: readonly FuncKeywordDefinition[] = [quantityKeyword("quantityMinimum"), quantityKeyword("quantityMaximum")];
