/**
 * Thin SDK adapters of the import handlers: the dropped object (read exactly the announced
 * version), the work bucket's writers, PhoneNumberValidate, StartExecution, and the Customer
 * Profiles upload (GetUploadJobPath, then the PUT to its pre-signed URL).
 */
import { createHash } from "node:crypto";
import { request } from "node:https";
import type { Readable } from "node:stream";
import { GetUploadJobPathCommand, type CustomerProfilesClient } from "@aws-sdk/client-customer-profiles";
import { PhoneNumberValidateCommand, type PinpointClient } from "@aws-sdk/client-pinpoint";
import { GetObjectCommand, HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { StartExecutionCommand, type SFNClient } from "@aws-sdk/client-sfn";
import { S3MultipartWriter, type ObjectWriter } from "../shared/files/s3-multipart-writer";
import type { PhoneValidationFields } from "./contacts";
import type { PhoneNumberValidatePort } from "./phone-validation";

/** The object changed or went away since its event: its newer version has an event of its own. */
export class ObjectChangedError extends Error {
  constructor(bucket: string, key: string, cause: unknown) {
    super(`s3://${bucket}/${key} no longer has the version its event announced`, { cause });
    this.name = "ObjectChanged";
  }
}

const statusOf = (error: unknown) => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

export interface ObjectVersion {
  bucket: string;
  key: string;
  etag?: string | null;
  versionId?: string | null;
}

export async function openObject(s3: S3Client, object: ObjectVersion): Promise<Readable> {
  try {
    const response = await s3.send(
      new GetObjectCommand({
        Bucket: object.bucket,
        Key: object.key,
        ...(object.etag ? { IfMatch: `"${object.etag}"` } : {}),
        ...(object.versionId ? { VersionId: object.versionId } : {}),
      }),
    );
    return response.Body as Readable;
  } catch (error) {
    if (statusOf(error) === 412 || statusOf(error) === 404) throw new ObjectChangedError(object.bucket, object.key, error);
    throw error;
  }
}

export function workBucketWriter(s3: S3Client, bucket: string): (key: string, contentType: string) => ObjectWriter {
  return (key, contentType) => new S3MultipartWriter(s3, { bucket, key, contentType });
}

export class PinpointPhoneValidator implements PhoneNumberValidatePort {
  constructor(private readonly client: PinpointClient) {}

  async validate(phoneNumber: string): Promise<PhoneValidationFields> {
    const { NumberValidateResponse: r = {} } = await this.client.send(new PhoneNumberValidateCommand({ NumberValidateRequest: { PhoneNumber: phoneNumber } }));
    return {
      CleansedPhoneNumberE164: r.CleansedPhoneNumberE164,
      CountryCodeIso2: r.CountryCodeIso2,
      OriginalPhoneNumber: r.OriginalPhoneNumber,
      Timezone: r.Timezone,
      ZipCode: r.ZipCode,
      Carrier: r.Carrier,
      PhoneTypeCode: r.PhoneTypeCode === undefined ? undefined : String(r.PhoneTypeCode),
      PhoneType: r.PhoneType,
      City: r.City,
      Country: r.Country,
    };
  }
}

/** Whether a key exists (HeadObject): 404 is "no", anything else but success is thrown. */
export async function objectExists(s3: S3Client, bucket: string, key: string): Promise<{ exists: true; etag?: string; versionId?: string } | { exists: false }> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { exists: true, etag: head.ETag?.replace(/^"|"$/g, ""), versionId: head.VersionId };
  } catch (error) {
    if (statusOf(error) === 404 || (error as Error).name === "NotFound") return { exists: false };
    throw error;
  }
}

export type StartResult = "started" | "already-exists";

export async function startExecution(sfn: SFNClient, stateMachineArn: string, name: string, input: unknown): Promise<StartResult> {
  try {
    await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    return "started";
  } catch (error) {
    // A duplicate event for the same object version: its import already runs or ran.
    if ((error as Error).name === "ExecutionAlreadyExists") return "already-exists";
    throw error;
  }
}

/** What the uploader needs from Customer Profiles and the pre-signed PUT. */
export interface UploadPorts {
  uploadPath(domainName: string, jobId: string): Promise<{ url: string; clientToken: string }>;
  source(bucket: string, key: string): Promise<{ body: Readable; length: number }>;
  put(url: string, body: Readable, length: number, headers: Record<string, string>): Promise<void>;
}

export function uploadPathPort(client: CustomerProfilesClient): UploadPorts["uploadPath"] {
  return async (DomainName, JobId) => {
    const { Url, ClientToken } = await client.send(new GetUploadJobPathCommand({ DomainName, JobId }));
    if (!Url || !ClientToken) throw new Error("GetUploadJobPath returned no Url or ClientToken");
    return { url: Url, clientToken: ClientToken };
  };
}

export function sourcePort(s3: S3Client): UploadPorts["source"] {
  return async (Bucket, Key) => {
    const response = await s3.send(new GetObjectCommand({ Bucket, Key }));
    if (response.ContentLength === undefined) throw new Error(`s3://${Bucket}/${Key} has no content length`);
    return { body: response.Body as Readable, length: response.ContentLength };
  };
}

/**
 * The SSE-C headers of the upload: GetUploadJobPath's ClientToken is the (base64) data key; S3
 * wants it with the base64 MD5 of its bytes.
 * https://docs.aws.amazon.com/customerprofiles/latest/APIReference/API_GetUploadJobPath.html
 */
export function uploadHeaders(clientToken: string): Record<string, string> {
  return {
    "x-amz-server-side-encryption-customer-algorithm": "AES256",
    "x-amz-server-side-encryption-customer-key": clientToken,
    "x-amz-server-side-encryption-customer-key-MD5": createHash("md5").update(Buffer.from(clientToken, "base64")).digest("base64"),
  };
}

/** PUT with a known length (S3 pre-signed URLs take no chunked bodies), streaming. */
export const httpsPut: UploadPorts["put"] = (url, body, length, headers) =>
  new Promise((resolve, reject) => {
    const req = request(url, { method: "PUT", headers: { ...headers, "Content-Length": String(length), "Content-Type": "text/csv" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve();
        const error = Object.assign(new Error(`upload PUT answered ${status}: ${Buffer.concat(chunks).toString("utf8").slice(0, 300)}`), {
          name: status === 503 || status === 429 ? "ThrottlingException" : "UploadFailed",
        });
        reject(error);
      });
    });
    req.on("error", reject);
    body.on("error", (error) => req.destroy(error));
    body.pipe(req);
  });
