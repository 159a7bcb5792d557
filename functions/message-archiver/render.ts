/**
 * Renders resolved content with the endpoint snapshot from the event, the way the seed intended,
 * with its merge bugs fixed:
 * - the template's DefaultSubstitutions apply only where the endpoint has no value (the seed let
 *   defaults override real values, and replaced whole maps); flat dotted default keys
 *   ("User.UserAttributes.FirstName") are expanded so they resolve;
 * - compiled templates are cached by the content's full identity (campaign version + treatment, or
 *   journey activity, template name + version) and piece: two activities or treatments in one
 *   batch never share a template;
 * - HTML parts are escaped by Handlebars, text parts (subject, text, SMS, voice, push) are not.
 * The endpoint snapshot has no Address (Pinpoint leaves it out of events).
 */
import Handlebars from "handlebars";
import type { ContentPiece, ResolvedContent } from "./content";
import type { EndpointSnapshot } from "./pinpoint-event";

export interface RenderedPiece {
  piece: ContentPiece["piece"];
  text: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** `{"a.b": 1}` → `{a: {b: 1}}`, merged with nested keys. */
export function expandDottedKeys(flat: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(flat)) {
    const path = key.split(".");
    let node = out;
    path.slice(0, -1).forEach((segment) => {
      if (!isObject(node[segment])) node[segment] = {};
      node = node[segment] as Json;
    });
    const last = path[path.length - 1]!;
    node[last] = isObject(value) && isObject(node[last]) ? deepMerge(node[last] as Json, value) : value;
  }
  return out;
}

/** `over` wins wherever it has a value; maps are merged key by key. */
export function deepMerge(under: Json, over: Json): Json {
  const out: Json = { ...under };
  for (const [key, value] of Object.entries(over)) {
    out[key] = isObject(value) && isObject(out[key]) ? deepMerge(out[key] as Json, value) : value;
  }
  return out;
}

/** The render context: the endpoint (with its Id) over the template's defaults. */
export function renderContext(endpoint: EndpointSnapshot, endpointId: string, defaultSubstitutions: string | undefined): Json {
  let defaults: Json = {};
  if (defaultSubstitutions !== undefined && defaultSubstitutions.trim() !== "") {
    const parsed: unknown = JSON.parse(defaultSubstitutions);
    if (isObject(parsed)) defaults = expandDottedKeys(parsed);
  }
  return deepMerge(defaults, { ...endpoint, Id: endpointId });
}

export class Renderer {
  private readonly handlebars = Handlebars.create();
  private readonly compiled = new Map<string, Handlebars.TemplateDelegate>();

  /** Compiles are cached by identity + piece for the renderer's lifetime (one invocation). */
  render(content: ResolvedContent, context: Json): RenderedPiece[] {
    return content.pieces.map(({ piece, source }) => {
      const key = `${content.identity}\u0000${piece}`;
      let template = this.compiled.get(key);
      if (template === undefined) {
        template = this.handlebars.compile(source, { noEscape: piece !== "HTML", strict: false });
        this.compiled.set(key, template);
      }
      return { piece, text: template(context) };
    });
  }

  get cacheSize(): number {
    return this.compiled.size;
  }
}
