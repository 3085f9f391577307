"""A local AWS for the blue/green dashboard: moto for STS, ECR, ECS, EC2, ELBv2, IAM and S3,
plus the project's own emulation of CodeCommit, CodeDeploy (ECS blue/green) and CodePipeline."""

__version__ = "0.1.0"
