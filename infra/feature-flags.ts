// CDK feature flags Berth relies on, given to the App itself so that `cdk synth` and the tests
// build exactly the same templates (cdk.json adds nothing that changes them).
export const FEATURE_FLAGS: Record<string, boolean | string> = {
  // Cross-stack references are plain exports (the producer stack is protected while used).
  '@aws-cdk/core:defaultCrossStackReferences': 'strong',
  // Launch templates, not the deprecated launch configurations (unavailable in new accounts).
  '@aws-cdk/aws-autoscaling:generateLaunchTemplateInsteadOfLaunchConfig': true,
  // Merge policy statements so roles stay readable and under IAM's size limits.
  '@aws-cdk/aws-iam:minimizePolicies': true,
  // Task execution roles get only the log permissions their own log configuration needs.
  '@aws-cdk/aws-ecs:reduceEc2FargateCloudWatchPermissions': true,
};
