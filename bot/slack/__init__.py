"""The Slack edge: the Bolt app factory, thin listeners and the Web API gateway."""
