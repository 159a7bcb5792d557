import { ADVANCED_SEGMENTATION, AdvancedSegmentation } from "../../components/segments/advanced-segmentation";
import { settingsFromConfig } from "../../components/kit/contract";
import { defineArchitecture } from "./types";

export const advancedSegmentationArchitecture = defineArchitecture({
  key: "advancedSegmentation",
  number: 10,
  title: "#10 Advanced Segmentation with S3 and Athena",
  contract: ADVANCED_SEGMENTATION,
  minimalConfig: {
    profilesDomainName: "customers",
    database: "datalake",
    tables: ["purchases"],
    dataLocations: ["s3://example-data-lake/purchases/"],
    segments: [
      {
        name: "recent-buyers",
        sql: "SELECT customer_id AS member_id FROM purchases WHERE purchased_at > current_date - INTERVAL '30' DAY",
        token: "recent_buyer",
      },
    ],
  },
  build(config, ctx) {
    const component = new AdvancedSegmentation("advanced-segmentation", { ...settingsFromConfig(ADVANCED_SEGMENTATION, config), ...ctx.platform });
    return {
      component,
      outputs: {
        stateMachineArn: component.stateMachine.arn,
        workgroupName: component.workgroup.name,
        resultsBucketName: component.resultsBucket.bucket,
        membersTableName: component.membersTable.name,
        notificationTopicArn: component.notificationTopicArn,
        scheduleNames: component.schedules.map((s) => s.name),
        scheduleDeadLetterQueueUrl: component.scheduleDeadLetterQueue.url,
        differFunctionName: component.differ.name,
        applierFunctionName: component.applier.name,
      },
    };
  },
});
