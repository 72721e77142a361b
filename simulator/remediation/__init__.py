"""The responder's toolbox: actions that really act on the target."""
