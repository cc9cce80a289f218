import { FieldErrorType, ValidationError, type FieldError } from "../../schema/errors.js";
import { LOCAL_MESH_V1, type EndpointRecord } from "./types.js";

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * Validates an Endpoint record (the local mesh's own kind, standing in for an EndpointSlice
 * entry): pod name = metadata.name, service, `127.0.0.1:<port>` address, port, labels, ready.
 * Throws ValidationError (422) like the API server.
 */
export function validateEndpointRecord(rec: EndpointRecord): EndpointRecord {
  const errs: FieldError[] = [];
  const invalid = (field: string, value: unknown, why: string): void => {
    errs.push({ field, type: FieldErrorType.Invalid, detail: `${JSON.stringify(value)}: ${why}` });
  };
  if ((rec.apiVersion as string) !== LOCAL_MESH_V1)
    invalid("apiVersion", rec.apiVersion, "must be " + LOCAL_MESH_V1);
  const name = rec.metadata.name;
  if (name === "") errs.push({ field: "metadata.name", type: FieldErrorType.Required });
  if (rec.metadata.namespace === "")
    errs.push({ field: "metadata.namespace", type: FieldErrorType.Required });
  const ep = rec.spec;
  if (ep.pod !== name) invalid("spec.pod", ep.pod, "must equal metadata.name");
  if (ep.service === "") errs.push({ field: "spec.service", type: FieldErrorType.Required });
  if (!Number.isInteger(ep.port) || ep.port < 1 || ep.port > 65535) {
    invalid("spec.port", ep.port, "must be between 1 and 65535, inclusive");
  }
  if (!/^[^:\s]+:\d{1,5}$/.test(ep.address)) invalid("spec.address", ep.address, "must be <host>:<port>");
  if (typeof ep.ready !== "boolean") invalid("spec.ready", ep.ready, "must be a boolean");
  for (const [k, v] of Object.entries(ep.labels)) {
    if (typeof v !== "string" || v.length > 63 || !LABEL_VALUE.test(v)) {
      invalid(
        `spec.labels[${k}]`,
        v,
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'",
      );
    }
  }
  if (errs.length > 0) throw new ValidationError("Endpoint", "mesh.tranquil.local", name, errs);
  return rec;
}
