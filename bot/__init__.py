"""mlops-bot: MLOps learning resources and weekly lessons in Slack."""

__version__ = "0.1.0"
