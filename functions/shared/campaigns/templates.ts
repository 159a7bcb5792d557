/**
 * #12's logic: templates chosen per recipient by key, locale (with fallback) and channel, fetched
 * from the template store, cached per container with a TTL, size-limited, rendered with Handlebars.
 *
 * Store layout (S3, versioned): one JSON object per template, language and channel at
 * `<prefix><key>/<channel>/<locale>.json`:
 *   email: { "subject": "...", "html": "...", "text": "..." (optional) }
 *   sms:   { "body": "..." }
 * Optional DynamoDB index (TEMPLATE_INDEX_TABLE): an item per `<key>#<channel>#<locale>` naming the
 * object (`objectKey`, optional `versionId`), so the fallback is one BatchGetItem instead of one
 * GetObject per candidate, and a deployment can pin the exact object version sent.
 *
 * Locale fallback: the requested locale (`pt-BR`), then its language (`pt`), then the default.
 * Keys and locales come from recipient data, so both are validated before they reach a path.
 */
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { BatchGetCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { TEMPLATE_INDEX_TABLE } from "../runtime/tables";
import { compileTemplate, type Render } from "./render";

export const TEMPLATE_CHANNELS = ["email", "sms"] as const;
export type TemplateChannel = (typeof TEMPLATE_CHANNELS)[number];

/** A template key: letters, digits, "_", "-", "." (no "/" or "..": it becomes part of an S3 key). */
export const TEMPLATE_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const LOCALE_PATTERN = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

export class TemplateTooLargeError extends Error {
  constructor(
    readonly objectKey: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`template ${objectKey} is ${bytes} bytes, over the ${limit}-byte limit (maxTemplateBytes); it is not used`);
    this.name = "TemplateTooLargeError";
  }
}

export class InvalidTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidTemplateError";
  }
}

/** A locale in canonical form (`pt_br` → `pt-BR`), or undefined when it is not one. */
export function normalizeLocale(locale: string | undefined): string | undefined {
  if (locale === undefined) return undefined;
  const candidate = locale.trim().replace(/_/g, "-");
  if (!LOCALE_PATTERN.test(candidate)) return undefined;
  try {
    return Intl.getCanonicalLocales(candidate)[0];
  } catch {
    return undefined;
  }
}

/** The locales tried, in order: the requested one, its language, the default; each once. */
export function localeCandidates(requested: string | undefined, defaultLocale: string): string[] {
  const exact = normalizeLocale(requested);
  const language = exact?.split("-")[0];
  return [...new Set([exact, language, normalizeLocale(defaultLocale) ?? defaultLocale].filter((l): l is string => l !== undefined))];
}

export function templateObjectKey(prefix: string, key: string, channel: TemplateChannel, locale: string): string {
  return `${prefix}${key}/${channel}/${locale}.json`;
}

export function templateIndexId(key: string, channel: TemplateChannel, locale: string): string {
  return `${key}#${channel}#${locale}`;
}

/** One stored template object, as fetched. */
export interface FetchedTemplate {
  locale: string;
  objectKey: string;
  versionId: string | undefined;
  source: string;
}

export interface TemplateSource {
  /** The first of `locales` that exists for key and channel, or undefined when none does. */
  fetchFirst(key: string, channel: TemplateChannel, locales: readonly string[]): Promise<FetchedTemplate | undefined>;
}

const isNotFound = (error: unknown) => {
  const name = (error as { name?: string } | null)?.name;
  return name === "NoSuchKey" || name === "NotFound" || name === "NoSuchVersion";
};

/** Reads template objects from S3, refusing any larger than `maxBytes` before reading its body. */
export class S3TemplateStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly maxBytes: number,
  ) {}

  /** The object's text, or undefined when it does not exist. */
  async read(objectKey: string, versionId?: string): Promise<{ source: string; versionId: string | undefined } | undefined> {
    let response;
    try {
      response = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey, VersionId: versionId }));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const declared = response.ContentLength;
    if (declared !== undefined && declared > this.maxBytes) {
      await response.Body?.transformToString().catch(() => undefined);
      throw new TemplateTooLargeError(objectKey, declared, this.maxBytes);
    }
    const source = (await response.Body?.transformToString("utf-8")) ?? "";
    const bytes = Buffer.byteLength(source, "utf8");
    if (bytes > this.maxBytes) throw new TemplateTooLargeError(objectKey, bytes, this.maxBytes);
    return { source, versionId: response.VersionId };
  }
}

/** Without an index: one GetObject per candidate locale until one exists. */
export class S3TemplateSource implements TemplateSource {
  constructor(
    private readonly store: S3TemplateStore,
    private readonly prefix: string,
  ) {}

  async fetchFirst(key: string, channel: TemplateChannel, locales: readonly string[]): Promise<FetchedTemplate | undefined> {
    for (const locale of locales) {
      const objectKey = templateObjectKey(this.prefix, key, channel, locale);
      const found = await this.store.read(objectKey);
      if (found !== undefined) return { locale, objectKey, versionId: found.versionId, source: found.source };
    }
    return undefined;
  }
}

/** With the index: one BatchGetItem for every candidate, then the chosen object (and version). */
export class IndexedTemplateSource implements TemplateSource {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly store: S3TemplateStore,
  ) {}

  async fetchFirst(key: string, channel: TemplateChannel, locales: readonly string[]): Promise<FetchedTemplate | undefined> {
    const keyName = TEMPLATE_INDEX_TABLE.partitionKey;
    const ids = locales.map((l) => templateIndexId(key, channel, l));
    const response = await this.documents.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: ids.map((id) => ({ [keyName]: id })) } } }));
    // A candidate left unprocessed (throttled) is unknown, not absent: fail rather than fall back to a wrong language.
    if ((response.UnprocessedKeys?.[this.tableName]?.Keys?.length ?? 0) > 0) throw new Error("template index lookup was throttled (UnprocessedKeys); retry");
    const items = new Map((response.Responses?.[this.tableName] ?? []).map((item) => [item[keyName] as string, item]));
    for (const [i, id] of ids.entries()) {
      const item = items.get(id);
      if (item === undefined) continue;
      if (typeof item.objectKey !== "string" || item.objectKey === "") throw new InvalidTemplateError(`template index item ${id} has no objectKey`);
      const versionId = typeof item.versionId === "string" ? item.versionId : undefined;
      const found = await this.store.read(item.objectKey, versionId);
      if (found === undefined) throw new InvalidTemplateError(`template index item ${id} names ${item.objectKey}, which does not exist`);
      return { locale: locales[i], objectKey: item.objectKey, versionId: found.versionId, source: found.source };
    }
    return undefined;
  }
}

const EmailTemplateSchema = z.strictObject({ subject: z.string().min(1), html: z.string().min(1), text: z.string().min(1).optional() });
const SmsTemplateSchema = z.strictObject({ body: z.string().min(1) });

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string | undefined;
}
export interface RenderedSms {
  body: string;
}
export interface RenderedByChannel {
  email: RenderedEmail;
  sms: RenderedSms;
}

/** A resolved, compiled template: which object it came from, and its renderer. */
export interface ResolvedTemplate<C extends TemplateChannel = TemplateChannel> {
  key: string;
  channel: C;
  requestedLocale: string | undefined;
  locale: string;
  objectKey: string;
  versionId: string | undefined;
  render(data: object): RenderedByChannel[C];
}

function compile<C extends TemplateChannel>(channel: C, fetched: FetchedTemplate): (data: object) => RenderedByChannel[C] {
  let json: unknown;
  try {
    json = JSON.parse(fetched.source);
  } catch {
    throw new InvalidTemplateError(`template ${fetched.objectKey} is not JSON`);
  }
  const where = (part: string) => `${fetched.objectKey} (${part})`;
  if (channel === "email") {
    const parsed = EmailTemplateSchema.safeParse(json);
    if (!parsed.success) throw new InvalidTemplateError(`template ${fetched.objectKey} is not an email template {subject, html, text?}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
    const subject = compileTemplate(parsed.data.subject, { html: false, where: where("subject") });
    const html = compileTemplate(parsed.data.html, { html: true, where: where("html") });
    const text = parsed.data.text === undefined ? undefined : compileTemplate(parsed.data.text, { html: false, where: where("text") });
    return ((data: object) => ({ subject: subject(data).replace(/[\r\n]+/g, " "), html: html(data), text: text?.(data) })) as (data: object) => RenderedByChannel[C];
  }
  const parsed = SmsTemplateSchema.safeParse(json);
  if (!parsed.success) throw new InvalidTemplateError(`template ${fetched.objectKey} is not an SMS template {body}`);
  const body: Render = compileTemplate(parsed.data.body, { html: false, where: where("body") });
  return ((data: object) => ({ body: body(data) })) as (data: object) => RenderedByChannel[C];
}

export interface TemplateResolverOptions {
  defaultLocale: string;
  /** How long a resolved (or missing) template is reused by this container. */
  cacheTtlMs: number;
  now?: () => number;
}

/**
 * Resolves templates through a per-container cache with a TTL: a hook or a sender resolving the
 * same template for many recipients fetches and compiles it once per TTL (concurrent requests
 * share one fetch). A missing template is cached as missing for the same TTL; an error is not cached.
 */
export class TemplateResolver {
  private readonly cache = new Map<string, { expiresAt: number; value: Promise<ResolvedTemplate | undefined> }>();
  private readonly now: () => number;

  constructor(
    private readonly source: TemplateSource,
    private readonly options: TemplateResolverOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The template for key, channel and locale (with fallback); undefined when no candidate exists. */
  resolve<C extends TemplateChannel>(key: string, channel: C, locale: string | undefined): Promise<ResolvedTemplate<C> | undefined> {
    if (!TEMPLATE_KEY_PATTERN.test(key)) return Promise.reject(new InvalidTemplateError(`template key ${JSON.stringify(key.slice(0, 64))} is not a valid key (letters, digits, "_", "-", ".")`));
    const requested = normalizeLocale(locale);
    const cacheKey = `${channel}\u0000${key}\u0000${requested ?? ""}`;
    const now = this.now();
    const hit = this.cache.get(cacheKey);
    if (hit !== undefined && hit.expiresAt > now) return hit.value as Promise<ResolvedTemplate<C> | undefined>;
    const value = this.load(key, channel, requested);
    this.cache.set(cacheKey, { expiresAt: now + this.options.cacheTtlMs, value });
    value.catch(() => this.cache.get(cacheKey)?.value === value && this.cache.delete(cacheKey));
    return value;
  }

  private async load<C extends TemplateChannel>(key: string, channel: C, requested: string | undefined): Promise<ResolvedTemplate<C> | undefined> {
    const fetched = await this.source.fetchFirst(key, channel, localeCandidates(requested, this.options.defaultLocale));
    if (fetched === undefined) return undefined;
    const render = compile(channel, fetched);
    return { key, channel, requestedLocale: requested, locale: fetched.locale, objectKey: fetched.objectKey, versionId: fetched.versionId, render };
  }
}
