/**
 * Rendering with Handlebars in an isolated environment: only the built-in block helpers (if, each,
 * with, unless, lookup), no partials, prototype access off (Handlebars' default since 4.6). HTML
 * parts escape every `{{value}}` (recipient data is untrusted); plain-text parts (subjects, text
 * bodies, SMS) do not, since escaping there would show `&amp;` to the reader. `{{{raw}}}` stays
 * available to template authors, who are trusted operators.
 */
import Handlebars from "handlebars";

const engine = Handlebars.create();

export class TemplateSyntaxError extends Error {
  constructor(where: string, cause: unknown) {
    super(`${where} is not a valid template: ${(cause as Error).message.split("\n")[0]}`, { cause });
    this.name = "TemplateSyntaxError";
  }
}

export type Render = (data: object) => string;

/** Compiles `source`, checking its syntax now (Handlebars otherwise compiles on first render). */
export function compileTemplate(source: string, options: { html: boolean; where: string }): Render {
  try {
    engine.parse(source);
  } catch (error) {
    throw new TemplateSyntaxError(options.where, error);
  }
  const render = engine.compile(source, { noEscape: !options.html, knownHelpersOnly: true, strict: false });
  return (data) => render(data);
}
