/**
 * Attaches a Mail Manager archive to an SES v2 configuration set (SES `ArchivingOptions`), which
 * the Pulumi AWS provider (7.48) cannot express: `aws.sesv2.ConfigurationSet` has no archiving
 * option and there is no separate resource. A small dynamic resource calls
 * PutConfigurationSetArchivingOptions itself:
 * - create: sets `ArchiveArn`;
 * - update: sets the new `ArchiveArn` (a different configuration set replaces the resource: the
 *   old set is detached, the new one attached);
 * - delete: calls the same operation without `ArchiveArn`, which detaches the archive. A
 *   configuration set already deleted (NotFoundException) counts as detached.
 * https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_PutConfigurationSetArchivingOptions.html
 *
 * The provider runs in the Pulumi engine's Node process with the deployer's credentials (the
 * default AWS credential chain), in the Region passed as `region`. The deployer needs
 * `ses:PutConfigurationSetArchivingOptions` on the configuration set
 * (`arn:<partition>:ses:<region>:<account>:configuration-set/<name>`), and, for SES to archive into
 * it, the rights Mail Manager asks for the archive (see the architecture's page, "Unverified").
 */
import * as pulumi from "@pulumi/pulumi";

export interface ArchivingOptionsInputs {
  configurationSetName: string;
  archiveArn: string;
  region: string;
}

/** Sets or clears a configuration set's archive. Loaded at call time: the provider is serialized into the stack. */
async function putArchivingOptions(region: string, configurationSetName: string, archiveArn: string | undefined): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- required inside the function so the serialized provider carries no SDK closure
  const { SESv2Client, PutConfigurationSetArchivingOptionsCommand } = require("@aws-sdk/client-sesv2") as typeof import("@aws-sdk/client-sesv2");
  const client = new SESv2Client({ region, retryMode: "adaptive", maxAttempts: 5 });
  try {
    await client.send(new PutConfigurationSetArchivingOptionsCommand({ ConfigurationSetName: configurationSetName, ...(archiveArn === undefined ? {} : { ArchiveArn: archiveArn }) }));
  } finally {
    client.destroy();
  }
}

export const archivingOptionsProvider: pulumi.dynamic.ResourceProvider<ArchivingOptionsInputs, ArchivingOptionsInputs> = {
  async check(_olds, news) {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(news.configurationSetName ?? "")) failures.push({ property: "configurationSetName", reason: "must be 1–64 letters, digits, hyphens or underscores" });
    if (!/^arn:aws[a-z-]*:ses:[a-z0-9-]+:\d{1,20}:mailmanager-archive\/\S+$/.test(news.archiveArn ?? "")) failures.push({ property: "archiveArn", reason: "must be a Mail Manager archive ARN" });
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(news.region ?? "")) failures.push({ property: "region", reason: "must be an AWS Region" });
    return { inputs: news, failures };
  },

  async diff(_id, olds, news) {
    const replaces = (["configurationSetName", "region"] as const).filter((k) => olds[k] !== news[k]);
    const changes = replaces.length > 0 || olds.archiveArn !== news.archiveArn;
    return { changes, replaces, deleteBeforeReplace: false };
  },

  async create(inputs) {
    await putArchivingOptions(inputs.region, inputs.configurationSetName, inputs.archiveArn);
    return { id: `${inputs.region}/${inputs.configurationSetName}`, outs: inputs };
  },

  async update(_id, _olds, news) {
    await putArchivingOptions(news.region, news.configurationSetName, news.archiveArn);
    return { outs: news };
  },

  async delete(_id, olds) {
    try {
      await putArchivingOptions(olds.region, olds.configurationSetName, undefined);
    } catch (error) {
      if ((error as { name?: string }).name !== "NotFoundException") throw error;
    }
  },
};

export interface ConfigurationSetArchivingOptionsArgs {
  configurationSetName: pulumi.Input<string>;
  /** The Mail Manager archive's ARN (`aws.mailmanager.Archive.arn`). */
  archiveArn: pulumi.Input<string>;
  /** The Region of the configuration set (the stack's). */
  region: pulumi.Input<string>;
}

/** The configuration set's archiving options, managed by `archivingOptionsProvider`. */
export class ConfigurationSetArchivingOptions extends pulumi.dynamic.Resource {
  declare public readonly configurationSetName: pulumi.Output<string>;
  declare public readonly archiveArn: pulumi.Output<string>;

  constructor(name: string, args: ConfigurationSetArchivingOptionsArgs, opts?: pulumi.CustomResourceOptions) {
    super(archivingOptionsProvider, name, { configurationSetName: args.configurationSetName, archiveArn: args.archiveArn, region: args.region }, opts, "compliance", "ConfigurationSetArchivingOptions");
  }
}
