/** #12's contract between the ExternalTemplates component and its CampaignHook (pure: no SDK). */
import { defineFunctionContract, envOf, metricsOf } from "../shared/runtime/function-contract";

export const HOOK = defineFunctionContract({
  entry: "functions/external-templates/hook.ts",
  env: [
    "TEMPLATE_BUCKET_NAME",
    "TEMPLATE_PREFIX",
    "TEMPLATE_INDEX_TABLE_NAME",
    "TEMPLATE_KEY",
    "TEMPLATE_KEY_ATTRIBUTE",
    "DEFAULT_LOCALE",
    "CACHE_TTL_SECONDS",
    "MAX_TEMPLATE_BYTES",
    "MAX_ATTRIBUTE_VALUE_LENGTH",
    "MISSING_TEMPLATE",
  ],
  namespace: "DigitalUserEngagement/ExternalTemplates",
  metrics: ["EndpointsRendered", "TemplateMissing", "TemplateTooLarge", "TemplateInvalid", "EndpointsDropped", "MalformedEvent"],
});
export const HOOK_ENV = envOf(HOOK);
export const HOOK_METRICS = metricsOf(HOOK);

/** The endpoint attributes the hook writes, for a campaign message of `{Attributes.subject}` / `{Attributes.html}` (`{Attributes.body}` for SMS). */
export const HOOK_ATTRIBUTE_NAMES = Object.freeze({ subject: "subject", html: "html", body: "body" });
